//! The OpenAPI document, generated from the route table: every documented route with
//! its method, path parameters, request and response schemas (derived from the Rust
//! types with utoipa), the error envelope, and the security schemes.

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    ResponseBuilder,
};

use super::error::ErrorEnvelope;
use super::routes::{schema_of, table};
use crate::domain::policy::RoutePolicy;

pub fn document() -> OpenApi {
    let mut schemas = Vec::new();
    let error_name = schema_of::<ErrorEnvelope>(&mut schemas);
    let mut paths = PathsBuilder::new();
    for spec in table() {
        let Some(doc) = spec.doc else { continue };
        let method = match spec.method.as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "DELETE" => HttpMethod::Delete,
            _ => HttpMethod::Patch,
        };
        let json = |name: &str| {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(name)))
                .build()
        };
        let mut op = OperationBuilder::new()
            .summary(Some(doc.summary))
            .tag(doc.tag);
        for param in spec
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            // Ids are numbers; a ledger's kind, a certificate number and a language
            // code are text.
            let kind = match param {
                "kind" | "number" | "code" => utoipa::openapi::Type::String,
                _ => utoipa::openapi::Type::Integer,
            };
            op = op.parameter(
                ParameterBuilder::new()
                    .name(param)
                    .parameter_in(ParameterIn::Path)
                    .required(utoipa::openapi::Required::True)
                    .schema(Some(
                        utoipa::openapi::ObjectBuilder::new().schema_type(kind),
                    )),
            );
        }
        if let Some(req) = doc.request {
            let name = req(&mut schemas);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json(&name))
                    .build(),
            ));
        }
        let ok = match (doc.response, spec.success) {
            // No Content: nothing to describe.
            (_, 204) => ResponseBuilder::new().description("No Content").build(),
            (Some(res), _) => {
                let name = res(&mut schemas);
                ResponseBuilder::new()
                    .description("OK")
                    .content("application/json", json(&name))
                    .build()
            }
            (None, _) => ResponseBuilder::new().description("OK").build(),
        };
        op = op.response(spec.success.to_string(), ok).response(
            "default",
            ResponseBuilder::new()
                .description("Error envelope")
                .content("application/json", json(&error_name))
                .build(),
        );
        if spec.policy != RoutePolicy::Public {
            op = op.security(utoipa::openapi::security::SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            ));
        }
        paths = paths.path(spec.path, PathItem::new(method, op.build()));
    }
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-CSRF-Token"))),
        );
    schemas.sort_by(|a, b| a.0.cmp(&b.0));
    schemas.dedup_by(|a, b| a.0 == b.0);
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("skillcert")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components.build()))
        .build()
}
