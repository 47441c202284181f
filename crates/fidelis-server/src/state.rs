use fidelis_app::App;
use fidelis_store::Db;

/// What every handler can reach: the application.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Transitional: handlers not yet moved onto `fidelis-app` still reach the store.
    pub db: Db,
}

impl AppState {
    pub fn new(app: App) -> Self {
        let db = app.db().clone();
        Self { app, db }
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.app.now()
    }
}
