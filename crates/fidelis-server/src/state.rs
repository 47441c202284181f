use fidelis_app::App;

/// What every handler can reach: the application.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
}

impl AppState {
    pub fn new(app: App) -> Self {
        Self { app }
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.app.now()
    }
}
