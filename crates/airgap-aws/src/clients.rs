//! SDK clients per account and region, shared by the kinds of one service.

use std::collections::HashMap;

use airgap_engine::{KindError, Scope};

#[derive(Clone, Debug)]
pub struct PerScope<C> {
    clients: HashMap<(String, String), C>,
}

impl<C> Default for PerScope<C> {
    fn default() -> Self {
        PerScope { clients: HashMap::new() }
    }
}

impl<C> PerScope<C> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, scope: &Scope, client: C) {
        self.clients.insert((scope.account.clone(), scope.region.clone()), client);
    }

    /// The scopes there are clients for.
    pub(crate) fn scopes(&self) -> impl Iterator<Item = Scope> + '_ {
        self.clients.keys().map(|(a, r)| Scope::new(a.clone(), r.clone()))
    }

    pub(crate) fn client(&self, scope: &Scope) -> Result<&C, KindError> {
        self.clients.get(&(scope.account.clone(), scope.region.clone())).ok_or_else(|| {
            KindError::fatal(
                "NoClient",
                format!(
                    "no credentials for account {} in {} (is it declared under accounts:?)",
                    scope.account, scope.region
                ),
            )
        })
    }
}
