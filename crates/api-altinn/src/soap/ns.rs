//! The namespaces of Altinn's SOAP contracts, each named once: service contracts
//! (`http://www.altinn.no/services/…`) and data contracts (`http://schemas.altinn.no/…`).

/// The correspondence services' contract (agency and end-user).
pub(super) const CORRESPONDENCE: &str =
    "http://www.altinn.no/services/ServiceEngine/Correspondence/2009/10";
/// The reportee element list's contract; Altinn also puts `BinaryAttachmentV2` here.
pub(super) const REPORTEE_ELEMENT_LIST: &str =
    "http://www.altinn.no/services/ServiceEngine/ReporteeElementList/2010/10";
/// Correspondence data (`InsertCorrespondenceV2`, `CorrespondenceBEV2`).
pub(super) const CORRESPONDENCE_DATA: &str =
    "http://schemas.altinn.no/services/ServiceEngine/Correspondence/2010/10";
/// Reportee element data (`ExternalSearchBEV2`, `ReporteeElementBEV2`).
pub(super) const REPORTEE_ELEMENT_DATA: &str =
    "http://schemas.altinn.no/services/ServiceEngine/ReporteeElementList/2010/10";
pub(super) const NOTIFICATION: &str =
    "http://schemas.altinn.no/services/ServiceEngine/Notification/2009/10";
/// The V3 status filter and result.
pub(super) const STATUS: &str =
    "http://schemas.altinn.no/services/ServiceEngine/Correspondence/2016/02";
/// `StatusV2`.
pub(super) const STATUS_V2: &str =
    "http://schemas.altinn.no/services/ServiceEngine/Correspondence/2014/10";
/// `StatusChangeV2` and a status's `Notification`.
pub(super) const STATUS_CHANGE: &str =
    "http://schemas.altinn.no/services/ServiceEngine/Correspondence/2013/11";
pub(super) const RECEIPT: &str = "http://schemas.altinn.no/services/Intermediary/Receipt/2009/10";
/// Altinn's fault contract (`AltinnFault`).
pub(super) const FAULT: &str = "http://www.altinn.no/services/common/fault/2009/10";
/// .NET's serialized arrays (`arr:string`).
pub(super) const ARRAYS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
/// The intermediary inbound service's contract (`SubmitFormTaskBasic`).
pub(super) const INTERMEDIARY: &str =
    "http://www.altinn.no/services/Intermediary/Shipment/IntermediaryInbound/2009/10";
/// Shipment data (`FormTaskShipmentBE`, the submission status list). Altinn's published
/// material names the service contract only; this data namespace follows its pattern.
pub(super) const SHIPMENT_DATA: &str =
    "http://schemas.altinn.no/services/Intermediary/Shipment/2009/10";
/// The authorization administration's contract (`GetReportees`, `GetRoles`).
pub(super) const ADMINISTRATION: &str =
    "http://www.altinn.no/services/Authorization/Administration/2010/10";
/// Its data (`ExternalReporteeBE`, `ExternalRoleBE`, `RoleSearchBE`).
pub(super) const ADMINISTRATION_DATA: &str =
    "http://schemas.altinn.no/services/Authorization/Administration/2009/10";
/// WS-Security 1.0 (`Security`, `UsernameToken`).
pub(super) const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// The UsernameToken profile's password types.
pub(super) const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
/// WS-Addressing 1.0, which WCF's WS bindings send.
pub(super) const WSA: &str = "http://www.w3.org/2005/08/addressing";
/// Reply options of a correspondence (`ReplyOption`: a service, an archive reference, a URL).
pub(super) const REPLY_OPTIONS: &str =
    "http://schemas.altinn.no/services/ServiceEngine/Correspondence/2009/10";
