//! The two JSON-RPC questions verification asks an Ethereum node,
//! `eth_chainId` and `eth_call`, as request bodies, and their answers.
//!
//! Only the buyer's own node is asked (`[[ethereum]]` in the trust list),
//! so these bodies are built from the trust list and the document's
//! hashes only. A revert comes back as a JSON-RPC error whose `data` holds
//! the revert's ABI data; nodes differ in where they put it (`error.data`
//! as a string, or `error.data.data`, or `error.data.result`), and each
//! place is read.

use serde_json::{Value, json};

use super::store::{AnswerError, Revert};
use crate::trust::ethereum::Address;

/// Why a node's answer gave no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// The call reverted, with the store's reason if it gave one.
    #[error("the call reverted ({0:?})")]
    Reverted(Revert),
    /// The node answered with an error that is not a revert.
    #[error("the node answered an error: {0}")]
    Node(String),
    /// Not a JSON-RPC answer.
    #[error("not a JSON-RPC answer: {0}")]
    Malformed(String),
    /// An answer that is not the value asked for.
    #[error(transparent)]
    Answer(#[from] AnswerError),
}

/// The body of `eth_chainId`.
pub fn chain_id_request(id: u64) -> Vec<u8> {
    body(id, "eth_chainId", json!([]))
}

/// The body of `eth_call` of `data` (hex, `0x`-prefixed) to `to`, at the
/// latest block.
pub fn call_request(id: u64, to: Address, data: &str) -> Vec<u8> {
    body(
        id,
        "eth_call",
        json!([{"to": format!("0x{}", hex::encode(to.0)), "data": data}, "latest"]),
    )
}

fn body(id: u64, method: &str, params: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
        .unwrap_or_default()
}

/// The `result` of an answer, as its hex string, or why there is none.
pub fn read_result(bytes: &[u8]) -> Result<String, RpcError> {
    let answer: Value =
        serde_json::from_slice(bytes).map_err(|e| RpcError::Malformed(format!("not JSON: {e}")))?;
    if let Some(error) = answer.get("error") {
        return Err(read_error(error));
    }
    match answer.get("result") {
        Some(Value::String(result)) => Ok(result.clone()),
        Some(other) => Err(RpcError::Malformed(format!("result {other}"))),
        None => Err(RpcError::Malformed("neither result nor error".into())),
    }
}

/// The chain id an `eth_chainId` answer names.
pub fn read_chain_id(bytes: &[u8]) -> Result<u64, RpcError> {
    let result = read_result(bytes)?;
    result
        .strip_prefix("0x")
        .and_then(|digits| u64::from_str_radix(digits, 16).ok())
        .ok_or_else(|| RpcError::Malformed(format!("chain id {result:?}")))
}

/// A JSON-RPC error: a revert when it carries revert data or says
/// "revert", else the node's own error.
fn read_error(error: &Value) -> RpcError {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let data = error.get("data");
    let revert_data = data
        .and_then(Value::as_str)
        .or_else(|| data.and_then(|d| d.get("data")).and_then(Value::as_str))
        .or_else(|| data.and_then(|d| d.get("result")).and_then(Value::as_str));
    match revert_data {
        Some(hex) if hex.starts_with("0x") => RpcError::Reverted(Revert::read(hex)),
        _ if message.to_ascii_lowercase().contains("revert") => {
            RpcError::Reverted(Revert::Other(message))
        }
        _ => RpcError::Node(if message.is_empty() {
            error.to_string()
        } else {
            message
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openattestation::store::selector;

    #[test]
    fn requests_are_json_rpc_bodies() {
        let to = Address::parse("0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab").expect("address");
        let request: Value =
            serde_json::from_slice(&call_request(7, to, "0x163aa631")).expect("json");
        assert_eq!(
            request,
            json!({"jsonrpc": "2.0", "id": 7, "method": "eth_call",
                   "params": [{"to": "0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab", "data": "0x163aa631"}, "latest"]})
        );
        let request: Value = serde_json::from_slice(&chain_id_request(1)).expect("json");
        assert_eq!(request["method"], "eth_chainId");
    }

    #[test]
    fn results_chain_ids_and_errors_are_read() {
        assert_eq!(
            read_result(br#"{"jsonrpc":"2.0","id":1,"result":"0x01"}"#),
            Ok("0x01".to_owned())
        );
        assert_eq!(
            read_chain_id(br#"{"jsonrpc":"2.0","id":1,"result":"0x539"}"#),
            Ok(1337)
        );
        assert!(matches!(
            read_chain_id(br#"{"result":"1337"}"#),
            Err(RpcError::Malformed(_))
        ));
        assert!(matches!(
            read_result(b"<html>"),
            Err(RpcError::Malformed(_))
        ));
        assert!(matches!(
            read_result(br#"{"id":1}"#),
            Err(RpcError::Malformed(_))
        ));
        let node = read_result(br#"{"error":{"code":-32000,"message":"header not found"}}"#);
        assert_eq!(node, Err(RpcError::Node("header not found".into())));
    }

    #[test]
    fn reverts_are_read_wherever_a_node_puts_their_data() {
        let data = format!(
            "0x{}{}",
            hex::encode(selector("DocumentNotIssued(bytes32,bytes32)")),
            "00".repeat(64)
        );
        for error in [
            json!({"code": 3, "message": "execution reverted", "data": data}),
            json!({"code": -32000, "message": "VM Exception", "data": {"data": data}}),
            json!({"code": -32000, "message": "VM Exception", "data": {"result": data}}),
        ] {
            let answer = serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": 1, "error": error}))
                .expect("json");
            assert_eq!(
                read_result(&answer),
                Err(RpcError::Reverted(Revert::DocumentNotIssued))
            );
        }
        // ganache 7's answer when the batchable store (@trustvc/document-store
        // 1.0.3) is asked isIssued about a zero hash.
        let ganache = br#"{"id":1,"jsonrpc":"2.0","error":{"message":"VM Exception while processing transaction: revert","code":-32000,"name":"CallError","data":"0x4b20c093"}}"#;
        assert_eq!(
            read_result(ganache),
            Err(RpcError::Reverted(Revert::ZeroDocument))
        );
        let bare = read_result(br#"{"error":{"code":3,"message":"execution reverted"}}"#);
        assert!(matches!(bare, Err(RpcError::Reverted(Revert::Other(_)))));
    }
}
