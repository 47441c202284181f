use fidelis_app::App;
use fidelis_connect::sources::Dataflows;

/// What every handler can reach: the application, and the dataflows files may be uploaded
/// to.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub connect: ConnectState,
}

/// The dataflows this server knows (`[connect] dataflows` in the settings) and the largest
/// upload it stores.
#[derive(Debug, Clone)]
pub struct ConnectState {
    pub dataflows: Dataflows,
    pub max_upload_bytes: u64,
}

/// The default upload limit: 1 GiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 1024 * 1024 * 1024;

impl Default for ConnectState {
    fn default() -> Self {
        Self {
            dataflows: Dataflows::default(),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
        }
    }
}

impl AppState {
    pub fn new(app: App) -> Self {
        Self {
            app,
            connect: ConnectState::default(),
        }
    }

    /// The same state knowing these dataflows.
    pub fn with_connect(mut self, connect: ConnectState) -> Self {
        self.connect = connect;
        self
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.app.now()
    }
}
