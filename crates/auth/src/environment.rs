use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `test` (default) allows test-only conveniences — `localhost` origins, test-token services;
/// `production` switches them off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Test,
    Production,
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "test" => Ok(Environment::Test),
            "production" => Ok(Environment::Production),
            other => Err(format!("unknown environment {other:?}: use test or production")),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Test => "test",
            Environment::Production => "production",
        })
    }
}
