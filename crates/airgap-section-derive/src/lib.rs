//! `#[derive(Section)]` for the blueprint's model structs: one struct declares a mapping's
//! keys, how each is read (required, optional, defaulted, bounded) and its JSON schema, so
//! a new field is one line of the model and the parser, the accepted keys and the schema
//! follow. The generated code calls `crate::section` of `airgap-blueprint`, which holds
//! the reading rules of each field type; this crate only lays the fields out.
//!
//! Struct attributes, `#[section(...)]`:
//! - `noun = "node group"`: how a list item of this type is named in messages;
//! - `named`: the first field is `name`, and later messages say ``node group `x` ``;
//! - `def = "nodegroup"`: the schema's `$defs` entry (default: the name in lowerCamelCase);
//! - `schema = json!({..})`: merged into the mapping's schema (cross-key rules);
//! - `check = path`: `path(p, &value)` reports what only the whole mapping shows.
//!
//! Field attributes, `#[section(...)]`:
//! - `key = "x"`: the YAML key (default: the field name in lowerCamelCase);
//! - `default = expr`: the value when the key is absent (a plain value, no span);
//! - `min = n`, `max = n`: bounds of an integer (`i64` expressions);
//! - `schema = json!({..})`: merged into the field's schema (patterns, enums);
//! - `one_of = &["udp", "tcp"]`: the only values a string takes;
//! - `required`: a sub-mapping that must be written (a missing one is reported once);
//! - `with = path`: a field read from several keys by `path::{KEYS, read, schema}`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Expr, Fields, Ident, LitStr, Path};

#[derive(Default)]
struct StructAttrs {
    noun: Option<LitStr>,
    named: bool,
    def: Option<LitStr>,
    schema: Option<Expr>,
    check: Option<Path>,
}

#[derive(Default)]
struct FieldAttrs {
    key: Option<LitStr>,
    default: Option<Expr>,
    min: Option<Expr>,
    max: Option<Expr>,
    schema: Option<Expr>,
    with: Option<Path>,
    one_of: Option<Expr>,
    required: bool,
}

/// `snake_case` -> `lowerCamelCase`; `PascalCase` -> `pascalCase`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for (i, c) in name.chars().enumerate() {
        if c == '_' {
            upper = true;
        } else if i == 0 {
            out.push(c.to_ascii_lowercase());
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads one `name = value` (into the `Option` field of that name) or bare `flag` (into
/// the `bool` field) of a `#[section(...)]` attribute.
macro_rules! attr {
    ($m:ident, $a:ident, values [$($v:ident),*], flags [$($fl:ident),*]) => {{
        $(if $m.path.is_ident(stringify!($v)) {
            $a.$v = Some($m.value()?.parse()?);
            return Ok(());
        })*
        $(if $m.path.is_ident(stringify!($fl)) {
            $a.$fl = true;
            return Ok(());
        })*
        Err($m.error(concat!("expected one of:", $(" ", stringify!($v),)* $(" ", stringify!($fl),)*)))
    }};
}

fn struct_attrs(input: &DeriveInput) -> syn::Result<StructAttrs> {
    let mut a = StructAttrs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("section")) {
        attr.parse_nested_meta(|m| attr!(m, a, values [noun, def, schema, check], flags [named]))?;
    }
    Ok(a)
}

fn field_attrs(field: &syn::Field) -> syn::Result<FieldAttrs> {
    let mut a = FieldAttrs::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("section")) {
        attr.parse_nested_meta(|m| {
            attr!(m, a, values [key, default, min, max, schema, with, one_of], flags [required])
        })?;
    }
    Ok(a)
}

/// Derives `crate::section::Section`; `crate::section` reads a section as a sub-mapping,
/// an optional one or a list of them.
#[proc_macro_derive(Section, attributes(section))]
pub fn derive_section(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let ty = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(ty, "Section is derived for structs only"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(ty, "Section needs named fields"));
    };
    let sa = struct_attrs(input)?;
    let noun = sa.noun.map_or_else(|| camel(&ty.to_string()), |n| n.value());
    let def = sa.def.map_or_else(|| camel(&ty.to_string()), |d| d.value());
    let check = sa.check.map(|c| quote! { #c(p, &out); });
    let struct_schema = sa.schema.map_or(quote!(serde_json::Value::Null), |s| quote!(#s));

    let mut keys = Vec::new();
    let mut reads = Vec::new();
    let mut schemas = Vec::new();
    let mut names: Vec<&Ident> = Vec::new();
    for (i, field) in fields.named.iter().enumerate() {
        let ident = field.ident.as_ref().expect("named field");
        let fty = &field.ty;
        let fa = field_attrs(field)?;
        names.push(ident);
        let extra = fa.schema.map_or(quote!(serde_json::Value::Null), |s| quote!(#s));
        if let Some(with) = fa.with {
            keys.push(quote! { out.extend_from_slice(#with::KEYS); });
            reads.push(quote! { let #ident: #fty = #with::read(p, o, what); });
            schemas.push(quote! { #with::schema(s, &mut props, &mut obj); });
            continue;
        }
        let key = fa.key.map_or_else(|| camel(&ident.to_string()), |k| k.value());
        let min = fa.min.map_or(quote!(None), |m| quote!(Some(#m)));
        let max = fa.max.map_or(quote!(None), |m| quote!(Some(#m)));
        let one_of = fa.one_of.map_or(quote!(None), |o| quote!(Some(#o)));
        let spec = quote! {
            crate::section::Field { key: #key, min: #min, max: #max, one_of: #one_of }
        };
        let default = fa.default.map_or(quote!(None), |d| quote!(Some(#d)));
        keys.push(quote! { out.push(#key); });
        let is_name = sa.named && i == 0;
        if is_name {
            // The item's own name: missing, it is "a cluster's"; found, later messages
            // name the item by it.
            reads.push(quote! {
                let #ident: #fty = crate::section::Value::field(
                    p, o, &#spec, &crate::section::a(#noun), #default);
                let what_named = format!("{} `{}`", #noun, #ident.value);
                let what: &str = &what_named;
            });
        } else if fa.required {
            reads.push(quote! {
                let #ident: #fty = crate::section::required_sub(p, o, &#spec, what);
            });
        } else {
            reads.push(quote! {
                let #ident: #fty = crate::section::Value::field(p, o, &#spec, what, #default);
            });
        }
        let required = if fa.required {
            quote! { required.push(#key); }
        } else {
            quote! {
                if <#fty as crate::section::Value>::REQUIRED && default.is_none() {
                    required.push(#key);
                }
            }
        };
        schemas.push(quote! {
            {
                let default: Option<<#fty as crate::section::Value>::Plain> = #default;
                let mut v = <#fty as crate::section::Value>::schema(s, &#spec, default.as_ref());
                crate::section::merge(&mut v, #extra);
                #required
                props.insert(#key.to_string(), v);
            }
        });
    }
    Ok(quote! {
        impl crate::section::Section for #ty {
            const NOUN: &'static str = #noun;
            const DEF: &'static str = #def;

            fn keys() -> Vec<&'static str> {
                let mut out: Vec<&'static str> = Vec::new();
                #(#keys)*
                out
            }

            #[allow(unused_variables)]
            fn read_fields(
                p: &mut crate::parse::Parser<'_>,
                o: &crate::parse::Obj<'_>,
                what: &str,
            ) -> Self {
                #(#reads)*
                let out = Self { #(#names),* };
                #check
                out
            }

            #[allow(unused_mut)]
            fn object_schema(s: &mut crate::section::Schema) -> serde_json::Value {
                let mut props = serde_json::Map::new();
                let mut required: Vec<&'static str> = Vec::new();
                let mut obj = serde_json::Map::new();
                #(#schemas)*
                crate::section::object(props, required, obj, #struct_schema)
            }
        }
    })
}
