//! Enums written once as their lower-case codes: the code is what JSON, files,
//! databases and output carry, and what `Display` and `FromStr` use.

#[doc(hidden)]
pub use serde as __serde;

/// Declares a fieldless enum whose variants each name their code once:
///
/// ```
/// kyc_core::coded_enum! {
///     /// A light.
///     pub enum Light {
///         /// Stop.
///         Red = "red",
///         /// Go.
///         Green = "green",
///     }
/// }
/// assert_eq!(Light::Red.code(), "red");
/// assert_eq!("green".parse::<Light>()?, Light::Green);
/// assert_eq!(serde_json::to_string(&Light::Green).unwrap(), r#""green""#);
/// # Ok::<(), kyc_core::Error>(())
/// ```
///
/// The enum gets `code()`, `Display`, `FromStr` (an unknown code is
/// [`Error::UnknownCode`](crate::Error::UnknownCode)) and serde as the code, and
/// derives `Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord` (in declaration order).
#[macro_export]
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// The lower-case code, as in JSON, files and output.
            pub const fn code(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::Error;

            fn from_str(text: &str) -> ::std::result::Result<Self, $crate::Error> {
                match text {
                    $( $code => Ok(Self::$variant), )+
                    _ => Err($crate::Error::UnknownCode {
                        kind: stringify!($name),
                        code: text.to_owned(),
                        expected: &[$($code),+],
                    }),
                }
            }
        }

        impl $crate::codes::__serde::Serialize for $name {
            fn serialize<S: $crate::codes::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> $crate::codes::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::codes::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let code = <::std::string::String as $crate::codes::__serde::Deserialize>::deserialize(deserializer)?;
                code.parse().map_err(<D::Error as $crate::codes::__serde::de::Error>::custom)
            }
        }
    };
}
