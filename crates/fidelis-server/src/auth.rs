//! Capillary API authentication at the edge: the credential headers of a request become a
//! `Principal` (the application's `Caller`) of exactly one org, attributed to a till or
//! store, and checked against the permissions of the resource its router serves. The
//! verification itself (hashes, caches, failure limits) is the application's.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::Method;
pub use fidelis_app::Caller as Principal;
use fidelis_domain::org::OrgError;

use crate::{ApiError, AppState};

pub const OAUTH_HEADER: &str = "x-cap-api-oauth-token";

/// The resource group a router serves, checked against the caller's permissions.
#[derive(Debug, Clone, Copy)]
pub struct Resource(pub &'static str);

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut principal = authenticate(parts, state).await?;
        attribute(parts, state, &mut principal).await?;
        if let Some(Resource(name)) = parts.extensions.get::<Resource>().copied() {
            let write = !matches!(parts.method, Method::GET | Method::HEAD);
            principal.check_access(name, write)?;
        }
        Ok(principal)
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> Result<Option<&'a str>, ApiError> {
    parts
        .headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::from(OrgError::Unauthenticated))
        })
        .transpose()
}

/// The client's address, as the connection edge recorded it.
fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The client's address as an extractor (none when the request did not come through the
/// connection edge, as in tests that call the router directly).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_address(parts)))
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(token) = header(parts, OAUTH_HEADER)? {
        return Ok(state.app.authenticate_token(token.trim()).await?);
    }
    if let Some(basic) = header(parts, axum::http::header::AUTHORIZATION.as_str())? {
        let from = client_address(parts);
        return Ok(state.app.authenticate_basic(basic, from).await?);
    }
    Err(OrgError::Unauthenticated.into())
}

/// Applies the attribution headers: a token's `X-CAP-API-ATTRIBUTION-ENTITY-TYPE/-CODE` or a
/// till's on-behalf-of `X-CAP-API-ATTRIBUTION-LOOKUP-TYPE/-LOOKUP`. The named till or store
/// must belong to the caller's org.
async fn attribute(parts: &Parts, state: &AppState, p: &mut Principal) -> Result<(), ApiError> {
    let value = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (kind, code) = if p.client_id.is_some() {
        (
            value("x-cap-api-attribution-entity-type"),
            value("x-cap-api-attribution-entity-code"),
        )
    } else {
        (
            value("x-cap-api-attribution-lookup-type"),
            value("x-cap-api-attribution-lookup"),
        )
    };
    match (kind, code) {
        (_, None) => Ok(()),
        (None, Some(_)) if p.client_id.is_none() => Err(OrgError::AttributionTypeMissing.into()),
        (kind, Some(code)) => Ok(state.app.attribute(p, kind, code).await?),
    }
}
