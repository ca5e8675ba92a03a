//! Azure Resource Graph queries: paging by `$skipToken`, the graph's own
//! quota headers and the `table` answer format.

use super::*;

impl ArmClient {
    /// Run an Azure Resource Graph query over `subscriptions` (all the
    /// caller can see when empty), following `$skipToken` to the end. Rows
    /// come back in the `objectArray` format. Honours the graph's own quota
    /// headers (`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after`).
    /// API: <https://learn.microsoft.com/rest/api/azureresourcegraph/resourcegraph/resources/resources>.
    pub async fn resource_graph(
        &self,
        subscriptions: &[String],
        query: &str,
    ) -> Result<Vec<Value>, ClientError> {
        let rid = new_request_id();
        let url = self.url(
            "/providers/Microsoft.ResourceGraph/resources",
            "2022-10-01",
            &rid,
        )?;
        let mut out = Vec::new();
        // A request names at most 1000 subscriptions.
        let chunks: Vec<&[String]> = if subscriptions.is_empty() {
            vec![&[][..]]
        } else {
            subscriptions.chunks(1000).collect()
        };
        for subs in chunks {
            let mut skip: Option<String> = None;
            loop {
                let mut options = json!({"$top": 1000, "resultFormat": "objectArray"});
                if let Some(t) = &skip {
                    options["$skipToken"] = json!(t);
                }
                let mut body = json!({"query": query, "options": options});
                if !subs.is_empty() {
                    body["subscriptions"] = json!(subs);
                }
                // A query is read-only: safe to retry on 5xx too.
                let resp = self
                    .send(
                        Method::Post,
                        &url,
                        Some(body.to_string().into_bytes()),
                        &rid,
                        true,
                    )
                    .await?;
                if !(200..300).contains(&resp.status) {
                    return Err(self.arm_error(&resp, &rid));
                }
                let v = resp.json().unwrap_or(Value::Null);
                let Some(data) = v.get("data") else {
                    return Err(ClientError::InvalidResponse {
                        message: "Resource Graph answer without `data`".into(),
                        request_id: rid,
                    });
                };
                match data {
                    Value::Array(rows) => out.extend(rows.iter().cloned()),
                    // The `table` format: columns + rows.
                    Value::Object(t) => out.extend(table_rows(t)),
                    _ => {}
                }
                if resp
                    .header("x-ms-user-quota-remaining")
                    .and_then(|q| q.trim().parse::<u64>().ok())
                    == Some(0)
                    && let Some(wait) = resp
                        .header("x-ms-user-quota-resets-after")
                        .and_then(parse_hms)
                {
                    tracing::info!(request_id = %rid, wait_ms = wait.as_millis() as u64, "Resource Graph quota used up; waiting for it to reset");
                    self.sleep(wait).await;
                }
                match v
                    .get("$skipToken")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    Some(t) if Some(t) != skip.as_deref() => skip = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        Ok(out)
    }
}

/// `hh:mm:ss` (the Resource Graph quota reset header).
pub(super) fn parse_hms(s: &str) -> Option<Duration> {
    let mut parts = s.trim().split(':').map(|p| p.trim().parse::<u64>());
    let (h, m, sec) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    Some(Duration::from_secs(h * 3600 + m * 60 + sec))
}

/// Rows of a Resource Graph answer in the `table` format.
fn table_rows(t: &serde_json::Map<String, Value>) -> Vec<Value> {
    let cols: Vec<&str> = t
        .get("columns")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    t.get("rows")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(Value::as_array)
                .map(|r| {
                    Value::Object(
                        cols.iter()
                            .zip(r)
                            .map(|(c, v)| (c.to_string(), v.clone()))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_format_rows() {
        let t = json!({"columns": [{"name": "id"}, {"name": "type"}], "rows": [["/a", "t"]]});
        let rows = table_rows(t.as_object().unwrap());
        assert_eq!(rows, vec![json!({"id": "/a", "type": "t"})]);
    }
}
