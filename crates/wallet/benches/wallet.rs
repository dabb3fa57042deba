//! What a person waits for in the wallet: reading a QR code from a photo, building and
//! signing a submission, and unlocking the keystore.
#![allow(missing_docs, clippy::unwrap_used)]

use std::io::Cursor;

use alloy::{
    primitives::{Address, B256},
    signers::local::PrivateKeySigner,
};
use criterion::{criterion_group, criterion_main, Criterion};
use image::{DynamicImage, ImageFormat, Luma};
use kyc_core::{
    claims::{Claim, ClaimSet},
    commitment::Commitment,
    evidence::Evidence,
    files::{Credential, FormatVersion},
    uri::RegistrationUri,
};
use kyc_wallet::{consent::build_submission, scan::decode_qr_image, Wallet};

fn code(fields: Vec<String>) -> RegistrationUri {
    RegistrationUri {
        registration_id: B256::repeat_byte(0x5a),
        service: "https://tickets.example".to_owned(),
        name: "Ticket Shop".to_owned(),
        callback: "https://tickets.example/v1/sessions/0x5a/submission".to_owned(),
        chain_id: 1,
        registry: Address::repeat_byte(0x11),
        fields,
        expires_at: u64::MAX,
    }
}

fn qr_decode(c: &mut Criterion) {
    let uri = code(vec!["birthdate".to_owned(), "nationality".to_owned()]).to_uri_string();
    for (format, name) in [(ImageFormat::Png, "png"), (ImageFormat::Jpeg, "jpeg")] {
        let image = qrcode::QrCode::new(uri.as_bytes())
            .unwrap()
            .render::<Luma<u8>>()
            .min_dimensions(800, 800)
            .build();
        let mut bytes = Cursor::new(Vec::new());
        DynamicImage::ImageLuma8(image)
            .write_to(&mut bytes, format)
            .unwrap();
        let bytes = bytes.into_inner();
        c.bench_function(&format!("decode_qr_image {name} 800px"), |b| {
            b.iter(|| decode_qr_image(&bytes).unwrap())
        });
    }
}

fn submission(c: &mut Criterion) {
    let signer = PrivateKeySigner::random();
    let claims: Vec<Claim> = (0..64)
        .map(|i| Claim {
            key: format!("claim_{i:02}"),
            value: format!("value number {i}"),
        })
        .collect();
    let commitment = Commitment::new(&ClaimSet::new(claims).unwrap()).unwrap();
    let credential = Credential {
        version: FormatVersion,
        chain_id: 1,
        registry: Address::repeat_byte(0x11),
        subject: signer.address(),
        certifier: Address::repeat_byte(0x22),
        claims: commitment.claims().to_vec(),
        root: commitment.root(),
        evidence: Evidence::DOCUMENT,
        issued_at: 1,
        expires_at: 2,
        tx_hash: B256::ZERO,
        block_number: 1,
    };
    let fields: Vec<String> = (0..64)
        .step_by(8)
        .map(|i| format!("claim_{i:02}"))
        .collect();
    let code = code(fields.clone());
    c.bench_function("build_submission 64 claims, 8 disclosed", |b| {
        b.iter(|| build_submission(&signer, &credential, &code, &fields, 1).unwrap())
    });
}

fn keystore(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path()).unwrap();
    wallet.create_key("correct horse").unwrap();
    let mut group = c.benchmark_group("keystore");
    group.sample_size(10);
    group.bench_function("unlock", |b| {
        b.iter(|| wallet.unlock("correct horse").unwrap())
    });
    group.finish();
}

criterion_group!(benches, qr_decode, submission, keystore);
criterion_main!(benches);
