//! `/openapi.json` describes exactly the routes the service serves.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::fixtures::{TestService, TOKEN};

/// A path with each `{parameter}` filled with a value of the right shape.
fn concrete(path: &str) -> String {
    path.replace("{id}", &format!("0x{}", "00".repeat(32)))
        .replace("{subject}", &format!("0x{}", "00".repeat(20)))
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_no_other() {
    // Every method of every path, from one client: more than the default rate limit.
    let service = TestService::start_with(|config| config.rate_limit.burst = 1_000).await;
    let response = service
        .http
        .get(service.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let methods = ["get", "post", "put", "patch", "delete"];
    let described: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            methods
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = service
        .routes
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(described, served);

    // Each route answers its method, and only it: the list is the router's.
    let paths: BTreeSet<&String> = served.iter().map(|(_, path)| path).collect();
    for path in paths {
        for method in methods {
            let method = method.to_uppercase();
            let request = service
                .http
                .request(method.parse().unwrap(), service.url(&concrete(path)))
                .header("content-type", "application/json")
                .bearer_auth(TOKEN)
                .body("{}");
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap();
            if served.contains(&(method.clone(), path.clone())) {
                assert!(
                    status != 405 && !(status == 404 && body.is_empty()),
                    "{method} {path}: {status}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path}");
            }
        }
    }
}
