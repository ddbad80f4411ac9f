//! `airgapctl cost refresh-prices` against LocalStack: the emulator answers GetProducts
//! from its fixture (localstack/airgap_ext/pricing_products.json: eu-central-1 products at
//! the shipped snapshot's figures, and decoys), so a refresh must write exactly the shipped
//! figures, and `cost` must read the file it wrote.

use airgap_cost::Prices;
use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::LocalStack;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");

/// `airgapctl cost refresh-prices --region eu-central-1 ARGS`, which must exit with `code`.
async fn refresh_prices(cli: &Cli, args: &[&str], code: i32) -> Run {
    let mut all = vec!["cost", "refresh-prices", "--region", "eu-central-1"];
    all.extend_from_slice(args);
    cli.run_async(&all).await.expect(code, "refresh-prices")
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_prices_writes_a_snapshot_cost_reads() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let cli = Cli::new(BIN, "pricing", ls.endpoint());
    let r = refresh_prices(&cli, &["--out", "p.json"], 0).await;
    assert!(
        r.stdout.contains("Wrote the prices of eu-central-1 (7 instance types) to p.json"),
        "{}",
        r.stdout
    );
    let refreshed = Prices::from_file(&cli.dir().join("p.json"), "eu-central-1").unwrap();
    let shipped = Prices::shipped("eu-central-1").unwrap();
    // The decoys (another region, GWLB endpoints, VPN attachments, idle addresses, extended
    // support, Windows and dedicated instances) were not taken.
    assert_eq!(refreshed.scalars(), shipped.scalars());
    assert_eq!(refreshed.instance_hour, shipped.instance_hour);
    assert!(
        refreshed.source.starts_with("AWS Price List Query API (pricing:GetProducts"),
        "{}",
        refreshed.source
    );
    assert_eq!(refreshed.as_of.len(), 10, "a date: {}", refreshed.as_of);

    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/hub-spoke.yaml");
    let r = cli
        .run_async(&["cost", "-f", plan.to_str().unwrap(), "--prices", "p.json"])
        .await
        .expect(0, "cost");
    assert!(r.stdout.contains("Prices: AWS Price List Query API"), "{}", r.stdout);
    assert!(r.stdout.contains("$1,782.60"), "{}", r.stdout);

    // An instance type the price list does not have fails the refresh and says which.
    let r = refresh_prices(&cli, &["--instance-type", "x9.huge", "--out", "q.json"], 1).await;
    assert!(
        r.stderr.contains("instanceHour.x9.huge: the price list has no product"),
        "{}",
        r.stderr
    );
    assert!(!cli.dir().join("q.json").exists());
    // The API answers in three regions only.
    let r = refresh_prices(&cli, &["--api-region", "eu-west-1"], 3).await;
    assert!(
        r.stderr.contains("answers in us-east-1, eu-central-1 and ap-south-1, not eu-west-1"),
        "{}",
        r.stderr
    );
}
