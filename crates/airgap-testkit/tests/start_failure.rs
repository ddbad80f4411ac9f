//! `connect` runs `localstack/start` when a local endpoint does not answer as LocalStack, and
//! reports a failing start with the command and its log. Its own test binary (process), so the
//! per-process start attempt does not mix with the other tests.

use airgap_testkit::{LocalStack, TestkitError};

#[tokio::test]
async fn a_failing_start_names_the_command_and_its_log() {
    // Something that is not LocalStack holds a local port: the health check fails, the kit runs
    // `localstack/start` for that port, and start refuses (port taken, or our LocalStack already
    // runs on another port).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });

    let endpoint = format!("http://127.0.0.1:{port}");
    let err = LocalStack::connect_to(&endpoint)
        .await
        .expect_err("start must fail on a port held by something else");
    let TestkitError::Start(start) = &err else {
        panic!("expected a start error, got {err:?}");
    };
    assert!(start.command.ends_with("localstack/start"), "{start:?}");
    assert!(start.command.is_file(), "{start:?}");
    assert!(start.log.ends_with("localstack/.state/localstack.log"), "{start:?}");
    assert!(start.detail.contains("exited with"), "{start:?}");
    let message = err.to_string();
    assert!(message.contains("localstack/start"), "{message}");
    assert!(message.contains("localstack/.state/localstack.log"), "{message}");

    // the outcome is remembered for the process: no second start attempt, same error
    let again = LocalStack::connect_to(&endpoint).await.expect_err("still failing");
    assert_eq!(again.to_string(), message);
}
