//! An OCI image layout (OCI image spec, "image-layout.md"): `oci-layout`, `index.json`
//! and content-addressed `blobs/sha256/<hex>`. The form artifacts take across a physical
//! gap (`airgapctl artifacts export`/`import`), as skopeo's `oci:` transport writes it.
//! `index.json` names each top manifest `<repository>:<tag>` in the
//! `org.opencontainers.image.ref.name` annotation.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use serde_json::{json, Value as J};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::ArtifactError;

pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A layout directory.
pub struct Layout {
    pub dir: PathBuf,
}

fn err(dir: &Path, message: impl Into<String>) -> ArtifactError {
    ArtifactError::Content { reference: dir.display().to_string(), message: message.into() }
}

fn hex_of(digest: &str) -> Option<&str> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

impl Layout {
    /// Opens a layout, creating an empty one where there is none.
    pub fn create(dir: &Path) -> Result<Layout, ArtifactError> {
        std::fs::create_dir_all(dir.join("blobs/sha256")).map_err(|e| err(dir, e.to_string()))?;
        let marker = dir.join("oci-layout");
        if !marker.exists() {
            std::fs::write(&marker, r#"{"imageLayoutVersion":"1.0.0"}"#)
                .map_err(|e| err(dir, e.to_string()))?;
        }
        let index = dir.join("index.json");
        if !index.exists() {
            let empty =
                json!({"schemaVersion": 2, "mediaType": crate::copy::OCI_INDEX, "manifests": []});
            std::fs::write(&index, empty.to_string()).map_err(|e| err(dir, e.to_string()))?;
        }
        Ok(Layout { dir: dir.to_path_buf() })
    }

    /// Opens an existing layout.
    pub fn open(dir: &Path) -> Result<Layout, ArtifactError> {
        if !dir.join("oci-layout").is_file() || !dir.join("index.json").is_file() {
            return Err(err(dir, "not an OCI image layout (no oci-layout and index.json)"));
        }
        Ok(Layout { dir: dir.to_path_buf() })
    }

    fn blob_path(&self, digest: &str) -> Result<PathBuf, ArtifactError> {
        let hex = hex_of(digest)
            .ok_or_else(|| err(&self.dir, format!("{digest} is not a sha256 digest")))?;
        Ok(self.dir.join("blobs/sha256").join(hex))
    }

    fn index(&self) -> Result<J, ArtifactError> {
        let text = std::fs::read_to_string(self.dir.join("index.json"))
            .map_err(|e| err(&self.dir, e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| err(&self.dir, format!("index.json: {e}")))
    }

    /// The top manifests: (name `<repository>:<tag>`, digest).
    pub fn names(&self) -> Result<Vec<(String, String)>, ArtifactError> {
        Ok(self.index()?["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                Some((
                    m["annotations"][REF_NAME].as_str()?.to_string(),
                    m["digest"].as_str()?.to_string(),
                ))
            })
            .collect())
    }

    /// The digest `name` names, if any.
    pub fn digest_of(&self, name: &str) -> Result<Option<String>, ArtifactError> {
        Ok(self.names()?.into_iter().find(|(n, _)| n == name).map(|(_, d)| d))
    }

    pub fn has_blob(&self, digest: &str) -> Result<bool, ArtifactError> {
        Ok(self.blob_path(digest)?.is_file())
    }

    pub fn read_blob(&self, digest: &str) -> Result<Bytes, ArtifactError> {
        let bytes = std::fs::read(self.blob_path(digest)?)
            .map_err(|e| err(&self.dir, format!("{digest}: {e}")))?;
        Ok(Bytes::from(bytes))
    }

    /// A blob as a stream of chunks, checked against its digest at the end.
    pub async fn blob_stream(
        &self,
        digest: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, std::io::Error>>, ArtifactError> {
        let path = self.blob_path(digest)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| err(&self.dir, format!("{digest}: {e}")))?;
        let want = digest.to_string();
        let stream = futures_util::stream::unfold(Some((file, Sha256::new())), move |state| {
            let want = want.clone();
            async move {
                let (mut file, mut hash) = state?;
                let mut buf = vec![0u8; 256 * 1024];
                match file.read(&mut buf).await {
                    Ok(0) => {
                        let got = format!("sha256:{}", hex(&hash.finalize()));
                        if got == want {
                            None
                        } else {
                            Some((
                                Err(std::io::Error::other(format!("blob {want} hashes to {got}"))),
                                None,
                            ))
                        }
                    }
                    Ok(n) => {
                        buf.truncate(n);
                        hash.update(&buf);
                        Some((Ok(Bytes::from(buf)), Some((file, hash))))
                    }
                    Err(e) => Some((Err(e), None)),
                }
            }
        });
        Ok(stream.boxed())
    }

    /// Writes a blob from a stream: to a temporary file, checked against `digest` and
    /// `size`, then renamed into place (a killed export leaves no partial blob).
    pub async fn write_blob(
        &self,
        digest: &str,
        size: u64,
        mut stream: BoxStream<'static, Result<Bytes, std::io::Error>>,
    ) -> Result<u64, ArtifactError> {
        let path = self.blob_path(digest)?;
        let tmp = path.with_extension("partial");
        let mut file =
            tokio::fs::File::create(&tmp).await.map_err(|e| err(&self.dir, e.to_string()))?;
        let mut hash = Sha256::new();
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| err(&self.dir, format!("{digest}: {e}")))?;
            hash.update(&chunk);
            n += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(|e| err(&self.dir, e.to_string()))?;
        }
        file.flush().await.map_err(|e| err(&self.dir, e.to_string()))?;
        drop(file);
        let got = format!("sha256:{}", hex(&hash.finalize()));
        if got != digest || n != size {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(
                &self.dir,
                format!("blob {digest} ({size} bytes) arrived as {got} ({n} bytes)"),
            ));
        }
        std::fs::rename(&tmp, &path).map_err(|e| err(&self.dir, e.to_string()))?;
        Ok(n)
    }

    /// Stores bytes held whole as a blob (unless there already); its digest.
    pub fn write_bytes(&self, bytes: &[u8]) -> Result<String, ArtifactError> {
        let digest = format!("sha256:{}", hex(&Sha256::digest(bytes)));
        let path = self.blob_path(&digest)?;
        if !path.is_file() {
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, bytes).map_err(|e| err(&self.dir, e.to_string()))?;
            std::fs::rename(&tmp, &path).map_err(|e| err(&self.dir, e.to_string()))?;
        }
        Ok(digest)
    }

    /// Stores a manifest; with a `name`, also lists it in index.json under that name
    /// (replacing what the name named).
    pub fn put_manifest(
        &self,
        name: Option<&str>,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<String, ArtifactError> {
        let digest = self.write_bytes(bytes)?;
        if let Some(name) = name {
            let mut index = self.index()?;
            let mut list: Vec<J> = index["manifests"].as_array().cloned().unwrap_or_default();
            list.retain(|m| m["annotations"][REF_NAME].as_str() != Some(name));
            list.push(json!({
                "mediaType": media_type,
                "digest": digest,
                "size": bytes.len(),
                "annotations": {REF_NAME: name},
            }));
            index["manifests"] = J::Array(list);
            let tmp = self.dir.join("index.json.partial");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&index).expect("JSON"))
                .map_err(|e| err(&self.dir, e.to_string()))?;
            std::fs::rename(&tmp, self.dir.join("index.json"))
                .map_err(|e| err(&self.dir, e.to_string()))?;
        }
        Ok(digest)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_are_checked_and_names_replace() {
        let dir = std::env::temp_dir().join(format!("airgap-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let l = Layout::create(&dir).unwrap();
        let data = Bytes::from_static(b"hello");
        let d = format!("sha256:{}", hex(&Sha256::digest(&data)));
        let s = futures_util::stream::iter([Ok(data.clone())]).boxed();
        assert_eq!(l.write_blob(&d, 5, s).await.unwrap(), 5);
        assert!(l.has_blob(&d).unwrap());
        let bad = format!("sha256:{}", "0".repeat(64));
        let s = futures_util::stream::iter([Ok(data.clone())]).boxed();
        assert!(l.write_blob(&bad, 5, s).await.is_err());
        assert!(!l.has_blob(&bad).unwrap());
        let back: Vec<_> = l.blob_stream(&d).await.unwrap().collect().await;
        assert_eq!(back.len(), 1);
        let m1 = l.put_manifest(Some("a/b:1"), b"{\"x\":1}", crate::copy::OCI_MANIFEST).unwrap();
        let m2 = l.put_manifest(Some("a/b:1"), b"{\"x\":2}", crate::copy::OCI_MANIFEST).unwrap();
        assert_ne!(m1, m2);
        assert_eq!(Layout::open(&dir).unwrap().names().unwrap(), vec![("a/b:1".to_string(), m2)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
