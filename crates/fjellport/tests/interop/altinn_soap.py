"""Interoperability: Python's zeep (PyPI), a SOAP client nobody here wrote, loads the
correspondence agency's WSDL from the running server and calls every operation: it sends a
correspondence (with an attachment and a notification), finds it in the status details and
the status history (credentials in the SOAP header), and gets Altinn's typed fault
(AltinnFault, ErrorID 989) for a wrong password and 40002 for a missing message body.

An end-user system then reads the correspondence for a person who may act for the
organization (CorrespondenceExternalBasic: read, which the agency's status then shows,
confirm, delete — 40009 for an organization's correspondence, as Altinn answers), lists the
organization's elements, and submits a form task for it (IntermediaryInboundBasic), which is
signed and archived and whose status it then asks for. Last, the service owner asks the
authorization administration (SOAP 1.2, WS-Security UsernameToken) for the person's reportees
and roles.

Usage: altinn_soap.py BASE_URL SYSTEM_USER SYSTEM_PASSWORD REPORTEE EUS_USER EUS_PASSWORD
PERSON [TEST_PASSWORD]. Prints one line per check; exits non-zero on the first failure.
"""

import datetime
import sys

import zeep
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

FAULT_NS = "http://www.altinn.no/services/common/fault/2009/10"


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f" ({detail})" if detail else ""))
    if not condition:
        sys.exit(1)


def altinn_fault(client, fault):
    """The fault's AltinnFault detail, parsed with the WSDL's type."""
    detail = fault.detail.find(f"{{{FAULT_NS}}}AltinnFault")
    return client.get_element(f"{{{FAULT_NS}}}AltinnFault").parse(detail, client.wsdl.types)


def main():
    base, user, password, reportee, eus, eus_password, person = sys.argv[1:8]
    test_password = sys.argv[8] if len(sys.argv) > 8 else "Test1234"
    url = f"{base}/altinn/soap/ServiceEngineExternal/CorrespondenceAgencyExternalBasic.svc?wsdl"
    client = zeep.Client(url)
    service = client.service
    check("the WSDL loads", "InsertCorrespondenceBasicV2" in dir(service))
    data = client.type_factory("ns1")
    content = {
        "LanguageCode": "1044",
        "MessageTitle": "Vedtak om skatt",
        "MessageSummary": "Du har fått et vedtak",
        "MessageBody": "<p>Les vedtaket &amp; klag innen fristen.</p>",
        "Attachments": {"BinaryAttachments": {"BinaryAttachmentV2": [{
            "DestinationType": "Default", "FunctionType": "Unspecified",
            "FileName": "vedtak.txt", "Name": "Vedtak", "Encrypted": False,
            "Data": b"Vedtak for 2026\n", "SendersReference": "att-1"}]}},
    }
    correspondence = {
        "ServiceCode": "5528", "ServiceEdition": "1", "Reportee": reportee,
        "Content": content, "VisibleDateTime": datetime.datetime(2026, 1, 1, 8, 0),
        "ReplyOptions": {"ReplyOption": [{"URL": {"LinkText": "Klag",
                                                  "LinkURL": "https://skatteetaten.test/klage"}}]},
        "Notifications": {"Notification": [{
            "FromAddress": "no-reply@skatteetaten.test", "LanguageCode": "1044",
            "NotificationType": "VarselDPVUtenRevarsel",
            "ReceiverEndPoints": {"ReceiverEndPoint": [{"TransportType": "Email",
                                                         "ReceiverAddress": "post@firma.test"}]}}]},
    }
    receipt = service.InsertCorrespondenceBasicV2(user, password, user, "zeep-ref-1", correspondence)
    check("the correspondence is saved", receipt.ReceiptStatusCode == "OK", receipt.ReceiptText)
    refs = {r.ReferenceTypeName: r.ReferenceValue for r in receipt.References.Reference}
    check("the receipt names the shipment and the reportee",
          refs == {"ExternalShipmentReference": "zeep-ref-1", "OwnerPartyReference": reportee},
          str(refs))
    print(f"receipt: {receipt.ReceiptId}")

    details = service.GetCorrespondenceStatusDetailsBasicV3(
        user, password, {"ServiceCode": "5528", "ServiceEditionCode": 1,
                         "SendersReference": "zeep-ref-1"})
    statuses = details.CorrespondenceStatusInformation.CorrespondenceStatusDetailsList.StatusV2
    check("status details find it by the sender's reference", len(statuses) == 1, str(details))
    one = statuses[0]
    check("its id is the receipt's", one.CorrespondenceID == receipt.ReceiptId)
    check("SendersReference is the ExternalShipmentReference", one.SendersReference == "zeep-ref-1")
    check("it was created", [c.StatusType for c in one.StatusChanges.StatusChangeV2] == ["Created"])
    check("the notification is listed", one.Notifications.Notification[0].Recipient == "post@firma.test")

    history = service.GetCorrespondenceStatusHistoryBasic(
        CorrespondenceSendersReferences={"string": ["zeep-ref-1", "no-such-ref"]},
        _soapheaders={"SystemUserName": user, "SystemPassword": password})
    found = history.CorrespondenceStatusDetailsList.StatusV2
    check("the status history finds it (credentials in the header)",
          [s.CorrespondenceID for s in found] == [receipt.ReceiptId], str(history))

    try:
        service.InsertCorrespondenceBasicV2(user, "wrong", user, "zeep-ref-2", correspondence)
        check("a wrong password is refused", False)
    except Fault as f:
        d = altinn_fault(client, f)
        check("a wrong password is AltinnFault 989", d.ErrorID == 989, str(d))
        check("with Altinn's words",
              d.AltinnErrorMessage == "Incorrect username/password/pin given for user")

    no_body = dict(correspondence, Content=dict(content, MessageBody=None))
    try:
        service.InsertCorrespondenceBasicV2(user, password, user, "zeep-ref-3", no_body)
        check("a missing body is refused", False)
    except Fault as f:
        d = altinn_fault(client, f)
        check("a missing MessageBody is AltinnFault 40002", d.ErrorID == 40002, str(d))

    unknown = dict(correspondence, ServiceCode="9999")
    rejected = service.InsertCorrespondenceBasicV2(user, password, user, "zeep-ref-4", unknown)
    check("an unknown service is a receipt that is not OK",
          rejected.ReceiptStatusCode == "ValidationFailed", rejected.ReceiptText)

    box = zeep.Client(f"{base}/altinn/soap/ServiceEngineExternal/CorrespondenceExternalBasic.svc?wsdl")
    login = (eus, eus_password, person, test_password, None, None)
    got = box.service.GetCorrespondenceForEndUserSystemBasicV2(*login, receipt.ReceiptId, 1044)
    c = got.Correspondence
    check("the end-user system reads it", c.CorrespondenceTitle == "Vedtak om skatt", str(c))
    check("with its body and attachment",
          "klag" in c.CorrespondenceTxt and got.AttachmentList.AttachmentBEV2[0].AttachmentData
          == b"Vedtak for 2026\n")
    check("reading marks it read", c.CorrespondenceStatus == "Read")
    details = service.GetCorrespondenceStatusDetailsBasicV3(
        user, password, {"ServiceCode": "5528", "ServiceEditionCode": 1,
                         "SendersReference": "zeep-ref-1"})
    changes = details.CorrespondenceStatusInformation.CorrespondenceStatusDetailsList.StatusV2[0]
    check("the agency's status says Read",
          [x.StatusType for x in changes.StatusChanges.StatusChangeV2] == ["Created", "Read"])
    pin = (eus, eus_password, person, None, "12345", "AltinnPin")
    try:
        box.service.DeleteCorrespondenceBasic(*pin, receipt.ReceiptId)
        check("an organization's correspondence is not deleted over SOAP", False)
    except Fault as f:
        d = altinn_fault(box, f)
        check("deleting an organization's correspondence is AltinnFault 40009", d.ErrorID == 40009, str(d))
    try:
        box.service.SaveCorrespondenceConfirmationBasic(*login, receipt.ReceiptId)
        check("a correspondence without confirmation cannot be confirmed", False)
    except Fault as f:
        check("confirming what needs no confirmation is a fault", altinn_fault(box, f).ErrorID == 0)
    own = service.InsertCorrespondenceBasicV2(user, password, user, "zeep-ref-5",
                                              dict(correspondence, Reportee=person))
    check("a correspondence to the person is saved", own.ReceiptStatusCode == "OK", own.ReceiptText)
    box.service.DeleteCorrespondenceBasic(*login, own.ReceiptId)
    try:
        box.service.GetCorrespondenceForEndUserSystemBasicV2(*login, own.ReceiptId, 1044)
        check("a deleted correspondence is gone", False)
    except Fault as f:
        check("a deleted correspondence is gone", altinn_fault(box, f).ErrorID == 0)
    try:
        box.service.GetCorrespondenceForEndUserSystemBasicV2(eus, eus_password, person, "wrong",
                                                             None, None, receipt.ReceiptId, 1044)
        check("a wrong user password is refused", False)
    except Fault as f:
        check("a wrong user password is AltinnFault 989", altinn_fault(box, f).ErrorID == 989)
    elements = zeep.Client(
        f"{base}/altinn/soap/ServiceEngineExternal/ReporteeElementListExternalBasic.svc?wsdl")
    listed = elements.service.GetReporteeElementListBasicV2(*login, {"Reportee": reportee}, 1044)
    ids = {e.ReporteeElementId: e for e in (listed or [])}  # zeep gives the one list as a list
    check("the organization's element list has the correspondence", receipt.ReceiptId in ids,
          str(list(ids)))
    mine = ids[receipt.ReceiptId]
    check("as an opened correspondence of SKD",
          (mine.ReporteeElementType, mine.Status, mine.ServiceOwnerCode)
          == ("Correspondence", "OpenedNoConfirmedReq", "SKD"), str(mine))
    own_list = elements.service.GetReporteeElementListBasicV2(*login, {}, 1044)
    check("the user's own list does not hold the deleted one",
          own.ReceiptId not in [e.ReporteeElementId for e in (own_list or [])])
    try:
        elements.service.DeleteReporteeElementBasic(*login, receipt.ReceiptId)
        check("an organization's element is not deleted over SOAP", False)
    except Fault as f:
        check("DeleteReporteeElementBasic on an organization's correspondence is 40009",
              altinn_fault(elements, f).ErrorID == 40009)

    inbound = zeep.Client(f"{base}/altinn/soap/IntermediaryExternal/IntermediaryInboundBasic.svc?wsdl")
    form = '<Skjema skjemanummer="4419"><Omsetning>120000</Omsetning></Skjema>'
    shipment = {
        "Reportee": reportee, "ExternalShipmentReference": "zeep-ship-1",
        "FormTasks": {"ServiceCode": "4419", "ServiceEdition": 1, "Forms": {"Form": [{
            "Completed": True, "DataFormatId": "4419", "DataFormatVersion": 1,
            "EndUserSystemReference": "form-1", "FormData": form}]}},
        "Attachments": {"Attachment": [{"AttachmentData": b"%PDF-1.4 bilag", "FileName": "bilag.pdf",
                                        "Name": "Bilag", "AttachmentTypeName": "Annet",
                                        "Encrypted": False}]},
    }
    submitted = inbound.service.SubmitFormTaskBasic(*pin, shipment)
    check("a form task submitted with a PIN is signed and archived",
          submitted.ReceiptStatusCode == "OK" and submitted.ReceiptTypeName == "FormTask",
          submitted.ReceiptText)
    refs = {r.ReferenceTypeName: r.ReferenceValue for r in submitted.References.Reference}
    check("its receipt names the archive reference",
          refs.get("ArchiveReference") == f"AR{submitted.ReceiptId}", str(refs))
    statuses = inbound.service.GetAltinnSubmissionStatusBasic(
        *login, {"SubmissionStatusRequest": [{"ReceiptId": submitted.ReceiptId}]})
    check("its status is Archived", [x.Status for x in statuses] == ["Archived"], str(statuses))
    listed = elements.service.GetReporteeElementListBasicV2(*login, {"Reportee": reportee}, 1044)
    archived = [e for e in (listed or []) if e.ReporteeElementId == submitted.ReceiptId]
    check("the element list shows it as an archived form task",
          [(e.ReporteeElementType, e.Status) for e in archived] == [("FormTask", "Archive")],
          str(archived))
    try:
        inbound.service.SubmitFormTaskBasic(
            *pin, dict(shipment, FormTasks=dict(shipment["FormTasks"], ServiceCode="5528")))
        check("a correspondence service takes no submission", False)
    except Fault as f:
        check("submitting to a correspondence service is AltinnFault 30003",
              altinn_fault(inbound, f).ErrorID == 30003)

    admin_url = f"{base}/altinn/soap/AuthorizationExternal/AdministrationExternal.svc?wsdl"
    admin = zeep.Client(admin_url, wsse=UsernameToken(user, password))
    found = admin.service.GetReportees(person, False, False, 100)
    kinds = {(r.ReporteeType, r.SSN or r.OrganizationNumber) for r in (found or [])}
    check("GetReportees (SOAP 1.2, UsernameToken) lists the person and the organization",
          {("Person", person), ("Organization", reportee)} <= kinds, str(kinds))
    held = admin.service.GetRoles({"CoveredByUser": person, "OfferedByParty": reportee,
                                   "LanguageID": 1044})
    check("GetRoles names the register's role there",
          [(r.OfferedBy, r.CoveredBy) for r in (held or [])] == [(reportee, person)]
          and held[0].RoleCode in ("DAGL", "INNH"), str(held))
    try:
        zeep.Client(admin_url, wsse=UsernameToken(user, "wrong")).service.GetReportees(
            person, False, False, 100)
        check("a wrong UsernameToken password is refused", False)
    except Fault as f:
        check("a wrong UsernameToken password is AltinnFault 989 (SOAP 1.2)",
              altinn_fault(admin, f).ErrorID == 989)
    print("interop: all checks passed")


if __name__ == "__main__":
    main()
