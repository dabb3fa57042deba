//! QR codes of a registration URI: Unicode blocks for a terminal, SVG for a page, PNG for a file.

use std::{
    fmt,
    io::Cursor,
    path::{Path, PathBuf},
    str::FromStr,
};

use image::{ImageFormat, Luma};
use qrcode::{
    render::{svg, unicode::Dense1x2},
    EcLevel, QrCode,
};
use serde::{Serialize, Serializer};

use crate::{Result, Session};

/// How a QR code is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrFormat {
    /// Unicode half blocks, two rows of modules per line, for a dark terminal.
    Terminal,
    /// An SVG document.
    Svg,
    /// A PNG image.
    Png,
}

impl FromStr for QrFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "terminal" => Ok(Self::Terminal),
            "svg" => Ok(Self::Svg),
            "png" => Ok(Self::Png),
            other => Err(format!(
                "unknown qr format {other:?}: expected terminal, svg or png"
            )),
        }
    }
}

impl fmt::Display for QrFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Terminal => "terminal",
            Self::Svg => "svg",
            Self::Png => "png",
        })
    }
}

impl Serialize for QrFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An opened session as its registration code: the session (registry EIP-55), the
/// check code, the URI, and the file its QR code was drawn into, if any.
#[derive(Debug, Serialize)]
pub struct SessionCode<'a> {
    /// The session.
    #[serde(flatten)]
    pub session: &'a Session,
    /// The check code the wallet shows beside the service's screen.
    pub check_code: String,
    /// The registration URI the QR code holds.
    pub uri: String,
    /// Where the QR code was drawn, when it was drawn into a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrFile>,
}

/// A QR code drawn into a file.
#[derive(Debug, Serialize)]
pub struct QrFile {
    /// How it is drawn.
    pub format: QrFormat,
    /// The file.
    pub file: PathBuf,
}

impl<'a> SessionCode<'a> {
    /// The code of `session`, not yet drawn.
    pub fn new(session: &'a Session) -> Self {
        Self {
            session,
            check_code: kyc_core::check_code::check_code(&session.registration_id),
            uri: session.uri().to_uri_string(),
            qr: None,
        }
    }

    /// Draws the QR code in `format` into the file `path`, replacing it.
    pub fn write_qr(&mut self, format: QrFormat, path: &Path) -> Result<()> {
        std::fs::write(path, render(&self.uri, format)?)
            .map_err(kyc_fs::Error::at("cannot write", path))?;
        self.qr = Some(QrFile {
            format,
            file: path.to_owned(),
        });
        Ok(())
    }
}

/// The URI, the check code, and the QR code's file when there is one, a line each.
impl fmt::Display for SessionCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\ncheck code {}", self.uri, self.check_code)?;
        match &self.qr {
            Some(qr) => write!(f, "\nqr code: {}", qr.file.display()),
            None => Ok(()),
        }
    }
}

/// Renders `text` in `format`: UTF-8 text for the terminal and SVG, bytes for PNG.
pub fn render(text: &str, format: QrFormat) -> Result<Vec<u8>> {
    Ok(match format {
        QrFormat::Terminal => render_terminal(text)?.into_bytes(),
        QrFormat::Svg => render_svg(text)?.into_bytes(),
        QrFormat::Png => render_png(text)?,
    })
}

/// Unicode half blocks with a quiet zone, light modules drawn, for a dark terminal.
pub fn render_terminal(text: &str) -> Result<String> {
    Ok(code(text)?
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .build())
}

/// An SVG document, black on white, at least 256 pixels wide.
pub fn render_svg(text: &str) -> Result<String> {
    Ok(code(text)?
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .build())
}

/// A PNG image, black on white, at least 512 pixels wide.
pub fn render_png(text: &str) -> Result<Vec<u8>> {
    let image = code(text)?
        .render::<Luma<u8>>()
        .min_dimensions(512, 512)
        .build();
    let mut png = Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png)?;
    Ok(png.into_inner())
}

/// Medium error correction: a registration URI stays small enough to scan from a screen.
fn code(text: &str) -> Result<QrCode> {
    Ok(QrCode::with_error_correction_level(text, EcLevel::M)?)
}
