//! `#[harness::test]` and `#[harness::run_fixture]`, the attributes of the `e2e-harness` crate:
//! use them through `harness`, which documents them. This crate only turns them into calls of the
//! harness's runner.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, ItemFn, LitInt, LitStr, Pat, ReturnType, Token, Type};

const OPTIONS: &str = "`migrator = path::TO::MIGRATOR`, `migrations = \"dir\" | false`, \
                       `fixtures(\"name\", ...)`, `timeout = \"30s\"`, \
                       `flavor = \"current_thread\" | \"multi_thread\"`, `worker_threads = N`";

const ACCEPTED: &str = "a `#[harness::test]` takes its fixtures as `name: Type` (by value): \
                        `TestDatabase`, an adapter's client (`PgPool`, `Client`, `Pool`, \
                        `PgConnection`, `AsyncPgConnection`), `Browser`, `TestContext`, or any type that \
                        implements `harness::Fixture`";

/// See `harness::test`.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as ItemFn);
    let options = match Options::parse(attr.into()) {
        Ok(options) => options,
        Err(e) => return with_item(e, &item),
    };
    match expand(options, &item) {
        Ok(tokens) => tokens.into(),
        Err(e) => with_item(e, &item),
    }
}

/// See `harness::dev_services`.
#[proc_macro_attribute]
pub fn dev_services(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::ItemFn);
    match expand_dev_services(attr.into(), &item) {
        Ok(tokens) => tokens.into(),
        Err(e) => {
            let error = e.to_compile_error();
            quote!(#error #item).into()
        }
    }
}

fn expand_dev_services(attr: TokenStream2, item: &syn::ItemFn) -> syn::Result<TokenStream2> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "`#[harness::dev_services]` takes no options",
        ));
    }
    let sig = &item.sig;
    if sig.asyncness.is_some() || !sig.inputs.is_empty() || !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            sig,
            "`#[harness::dev_services]` goes on `fn name() -> harness::dev::DevServices` \
             (not async, no parameters)",
        ));
    }
    let name = &sig.ident;
    let entry = format_ident!("__harness_dev_services_{}", name);
    let entry_name = entry.to_string();
    Ok(quote! {
        #item

        /// What `harness up` starts: the dev services declared by the function above.
        #[test]
        #[ignore = "`harness up` runs it: the development services this project declares"]
        #[allow(non_snake_case)]
        fn #entry() {
            ::harness::__private::dev_services_entry(
                ::core::concat!(::core::module_path!(), "::", #entry_name),
                #name,
            )
        }
    })
}

/// See `harness::run_fixture`.
#[proc_macro_attribute]
pub fn run_fixture(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::ItemImpl);
    match expand_run_fixture(attr.into(), &item) {
        Ok(tokens) => tokens.into(),
        Err(e) => {
            let error = e.to_compile_error();
            quote!(#error #item).into()
        }
    }
}

fn expand_run_fixture(attr: TokenStream2, item: &syn::ItemImpl) -> syn::Result<TokenStream2> {
    const USE: &str = "`#[harness::run_fixture]` goes on `impl harness::RunFixture for YourType`";
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "`#[harness::run_fixture]` takes no options",
        ));
    }
    let is_run_fixture = item.trait_.as_ref().is_some_and(|(bang, path, _)| {
        bang.is_none()
            && path
                .segments
                .last()
                .is_some_and(|s| s.ident == "RunFixture")
    });
    if !is_run_fixture {
        return Err(syn::Error::new_spanned(&item.self_ty, USE));
    }
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &item.generics,
            "a run fixture is one type, not a generic one: its teardown is a test entry of its own",
        ));
    }
    let Type::Path(path) = &*item.self_ty else {
        return Err(syn::Error::new_spanned(&item.self_ty, USE));
    };
    let last = path
        .path
        .segments
        .last()
        .ok_or_else(|| syn::Error::new_spanned(path, USE))?;
    let ty = &item.self_ty;
    let entry = format_ident!("__harness_run_fixture_teardown_{}", last.ident);
    let entry_name = entry.to_string();
    Ok(quote! {
        #item

        impl ::harness::__private::RunFixtureEntry for #ty {
            const ENTRY: &'static str = ::core::concat!(::core::module_path!(), "::", #entry_name);
        }

        /// The run-scoped fixture's teardown, run by the harness's keeper when the run is over.
        #[test]
        #[ignore = "the harness runs it: a run-scoped fixture's teardown, when the run is over"]
        #[allow(non_snake_case)]
        fn #entry() {
            ::harness::__private::run_teardown::<#ty>()
        }
    })
}

/// The error, and the function without the attribute (nor a `#[test]` that cannot go on an
/// `async fn`): so that the only error the user sees is ours.
fn with_item(error: syn::Error, item: &ItemFn) -> TokenStream {
    let error = error.to_compile_error();
    let mut item = item.clone();
    item.attrs
        .retain(|a| !a.path().is_ident("test") && !is_rstest(a));
    // rstest's argument attributes, without rstest to expand them, would be errors of their own.
    for input in &mut item.sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|a| !is_rstest_argument(a));
        }
    }
    quote!(#error #[allow(dead_code)] #item).into()
}

/// What rstest puts on a test's arguments.
const RSTEST_ARGUMENTS: &[&str] = &[
    "case", "values", "with", "future", "awt", "files", "dirs", "by_ref", "ignore", "notrace",
    "from", "context",
];

fn is_rstest_argument(attr: &syn::Attribute) -> bool {
    RSTEST_ARGUMENTS
        .iter()
        .any(|name| attr.path().is_ident(name))
}

fn is_rstest(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| last.ident == "rstest")
}

/// How `#[harness::test]` and rstest go together, for a test that has them the other way round.
const WITH_RSTEST: &str = "rstest's cases and values go with `#[harness::test]` this way: \
                           `#[rstest]` first, above `#[harness::test]` (it expands first, into a \
                           test per case, each with this attribute), and the harness's fixtures \
                           marked `#[ignore]` (so that rstest leaves them to this attribute)";

#[derive(Default)]
struct Options {
    migrator: Option<Expr>,
    /// `None`: `migrations = false`, no migrations at all.
    migrations: Option<Option<LitStr>>,
    fixtures: Vec<LitStr>,
    /// In milliseconds.
    timeout: Option<u64>,
    multi_thread: Option<bool>,
    worker_threads: Option<LitInt>,
}

impl Options {
    fn parse(attr: TokenStream2) -> syn::Result<Options> {
        let mut options = Options::default();
        let mut seen: Vec<String> = Vec::new();
        let parser = syn::meta::parser(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if seen.contains(&key) {
                return Err(meta.error(format_args!("`{key}` is given twice")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "migrator" => {
                    // A path, or as `#[sqlx::test]` writes it, a path in a string.
                    let value = meta.value()?;
                    options.migrator = Some(if value.peek(LitStr) {
                        let text: LitStr = value.parse()?;
                        let path: syn::Path = text.parse()?;
                        syn::parse_quote!(#path)
                    } else {
                        value.parse()?
                    });
                }
                "migrations" => {
                    let value = meta.value()?;
                    options.migrations = Some(if value.peek(syn::LitBool) {
                        let off: syn::LitBool = value.parse()?;
                        if off.value {
                            return Err(syn::Error::new(
                                off.span(),
                                "`migrations = true` says nothing: give a directory, or `false` \
                                 for none",
                            ));
                        }
                        None
                    } else {
                        Some(value.parse()?)
                    });
                }
                "fixtures" => {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let names = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                    options.fixtures.extend(names);
                }
                "timeout" => {
                    let value = meta.value()?;
                    let span = value.span();
                    let millis = if value.peek(LitInt) {
                        let seconds = value.parse::<LitInt>()?;
                        seconds
                            .base10_parse::<u64>()?
                            .checked_mul(1000)
                            .ok_or_else(|| syn::Error::new(seconds.span(), "too long a timeout"))?
                    } else {
                        let text: LitStr = value.parse()?;
                        parse_duration(&text.value()).ok_or_else(|| {
                            syn::Error::new(
                                text.span(),
                                "a timeout is whole seconds (`timeout = 30`) or a number with \
                                 a unit: \"500ms\", \"30s\", \"2m\"",
                            )
                        })?
                    };
                    if millis == 0 {
                        return Err(syn::Error::new(span, "a timeout of zero ends every test"));
                    }
                    options.timeout = Some(millis);
                }
                "flavor" => {
                    let flavor: LitStr = meta.value()?.parse()?;
                    options.multi_thread = Some(match flavor.value().as_str() {
                        "current_thread" => false,
                        "multi_thread" => true,
                        _ => {
                            return Err(syn::Error::new(
                                flavor.span(),
                                "the flavor is \"current_thread\" (the default) or \"multi_thread\"",
                            ));
                        }
                    });
                }
                "worker_threads" => {
                    let threads: LitInt = meta.value()?.parse()?;
                    if threads.base10_parse::<usize>()? == 0 {
                        return Err(syn::Error::new(threads.span(), "a runtime needs a thread"));
                    }
                    options.worker_threads = Some(threads);
                }
                _ => {
                    return Err(meta.error(format_args!(
                        "unknown option of #[harness::test]; the options are {OPTIONS}"
                    )));
                }
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, attr)?;
        if let (Some(migrator), Some(_)) = (&options.migrator, &options.migrations) {
            return Err(syn::Error::new(
                migrator.span(),
                "give `migrator` or `migrations`, not both",
            ));
        }
        if let (Some(threads), None | Some(false)) = (&options.worker_threads, options.multi_thread)
        {
            return Err(syn::Error::new(
                threads.span(),
                "`worker_threads` needs `flavor = \"multi_thread\"` (as with #[tokio::test])",
            ));
        }
        Ok(options)
    }
}

fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

struct Param<'a> {
    pat: &'a syn::PatIdent,
    ty: &'a Type,
}

fn params(item: &ItemFn) -> syn::Result<Vec<Param<'_>>> {
    let mut params = Vec::new();
    if let Some(attr) = item.attrs.iter().find(|a| is_rstest(a)) {
        return Err(syn::Error::new_spanned(attr, WITH_RSTEST));
    }
    for input in &item.sig.inputs {
        let FnArg::Typed(typed) = input else {
            return Err(syn::Error::new(input.span(), "a test takes no `self`"));
        };
        if let Some(attr) = typed.attrs.iter().find(|a| is_rstest_argument(a)) {
            return Err(syn::Error::new_spanned(attr, WITH_RSTEST));
        }
        let Pat::Ident(pat) = &*typed.pat else {
            return Err(syn::Error::new(
                typed.pat.span(),
                format!(
                    "{ACCEPTED}; a pattern is not accepted here: bind a name, then destructure in the body"
                ),
            ));
        };
        if pat.by_ref.is_some() || pat.subpat.is_some() {
            return Err(syn::Error::new(pat.span(), ACCEPTED));
        }
        if matches!(
            &*typed.ty,
            Type::Reference(_) | Type::ImplTrait(_) | Type::Infer(_)
        ) {
            return Err(syn::Error::new(
                typed.ty.span(),
                format!("{ACCEPTED}; not a reference or an `impl Trait`"),
            ));
        }
        params.push(Param { pat, ty: &typed.ty });
    }
    Ok(params)
}

fn expand(options: Options, item: &ItemFn) -> syn::Result<TokenStream2> {
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "#[harness::test] goes on an `async fn`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "a test cannot be generic",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new(variadic.span(), ACCEPTED));
    }
    if let Some(unsafety) = &sig.unsafety {
        return Err(syn::Error::new(
            unsafety.span(),
            "a test cannot be `unsafe`",
        ));
    }
    if let Some(attr) = item.attrs.iter().find(|a| a.path().is_ident("test")) {
        return Err(syn::Error::new(
            attr.span(),
            "#[harness::test] makes the function a test already: remove this `#[test]`",
        ));
    }
    let params = params(item)?;

    let name = &sig.ident;
    let vis = &item.vis;
    let attrs = &item.attrs;
    let body = &item.block;
    let (output, ret, output_span) = match &sig.output {
        ReturnType::Default => (quote!(()), quote!(), sig.ident.span()),
        ReturnType::Type(arrow, ty) => (quote!(#ty), quote!(#arrow #ty), ty.span()),
    };
    // The same bounds as the test's, checked where `#[test]` functions are compiled out (a build
    // without `--test`, as trybuild's): a wrong type is an error in every build, each once.
    let fixture_checks = params.iter().map(|p| {
        let ty = p.ty;
        quote_spanned! {ty.span()=> __harness_is_fixture::<#ty>();}
    });
    let return_check = quote_spanned! {output_span=> __harness_is_return::<#output>();};

    let migrations = match (&options.migrator, &options.migrations) {
        (Some(migrator), _) => quote!(::harness::__private::MigrationsFrom::Static(&#migrator)),
        (None, Some(Some(dir))) => quote!(::harness::__private::MigrationsFrom::Dir(#dir)),
        (None, Some(None)) => quote!(::harness::__private::MigrationsFrom::Static(
            &::harness::__private::NO_MIGRATIONS
        )),
        (None, None) => quote!(::harness::__private::MigrationsFrom::Dir("migrations")),
    };
    let fixtures = options.fixtures.iter().map(|fixture| {
        let value = fixture.value();
        // As with `#[sqlx::test]`: a bare name is `fixtures/<name>.sql` beside the test's file,
        // and a path ending in `.sql` is relative to that file (`include_str!`'s rule).
        let file = if value.ends_with(".sql") {
            value.clone()
        } else {
            format!("fixtures/{value}.sql")
        };
        let file = LitStr::new(&file, fixture.span());
        quote_spanned! {fixture.span()=>
            ::harness::SqlFixture::from_static(#file, ::core::include_str!(#file))
        }
    });
    let should_panic = item.attrs.iter().any(|a| a.path().is_ident("should_panic"));
    // The checks below exist where the test does: under the same `cfg`s.
    let cfgs = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"));
    let timeout = match options.timeout {
        Some(millis) => {
            quote!(::core::option::Option::Some(::core::time::Duration::from_millis(#millis)))
        }
        None => quote!(::core::option::Option::None),
    };
    // `worker_threads` comes with `multi_thread` only (checked when parsing).
    let runtime = match (options.multi_thread, &options.worker_threads) {
        (Some(true), Some(threads)) => quote!(::harness::__private::Runtime::MultiThread(
            ::core::option::Option::Some(#threads)
        )),
        (Some(true), None) => quote!(::harness::__private::Runtime::MultiThread(
            ::core::option::Option::None
        )),
        _ => quote!(::harness::__private::Runtime::CurrentThread),
    };

    let labels: Vec<LitStr> = params
        .iter()
        .map(|p| {
            LitStr::new(
                &format!("{}: {}", p.pat.ident, type_text(p.ty)),
                p.ty.span(),
            )
        })
        .collect();
    let setups: Vec<TokenStream2> = params
        .iter()
        .zip(&labels)
        .map(|(p, label)| {
            let ty = p.ty;
            quote_spanned! {ty.span()=>
                ::harness::__private::timed(#label, <#ty as ::harness::Fixture>::setup(&__harness_test))
            }
        })
        .collect();
    let results: Vec<_> = (0..params.len())
        .map(|i| format_ident!("__harness_fixture_{i}"))
        .collect();
    let set_up = match params.len() {
        0 => quote!(),
        1 => quote!(let #(#results)* = #(#setups)*.await;),
        _ => quote!(let (#(#results),*) = ::harness::__private::tokio::join!(#(#setups),*);),
    };
    let takes = params
        .iter()
        .zip(&results)
        .zip(&labels)
        .map(|((p, result), label)| {
            let ident = &p.pat.ident;
            quote!(let #ident = __harness_setup.take(#label, #result);)
        });
    let unwraps = params.iter().map(|p| {
        let (ident, mutability, ty) = (&p.pat.ident, &p.pat.mutability, p.ty);
        quote! {
            let ::core::option::Option::Some(#mutability #ident): ::core::option::Option<#ty> = #ident else {
                ::core::unreachable!("every fixture was set up")
            };
        }
    });

    let run = quote_spanned! {output_span=> ::harness::__private::run};
    Ok(quote! {
        #(#cfgs)*
        #[cfg(not(test))]
        #[allow(dead_code)]
        const _: () = {
            fn __harness_is_fixture<T: ::harness::Fixture>() {}
            fn __harness_is_return<T: ::harness::TestReturn>() {}
            fn __harness_check() {
                #(#fixture_checks)*
                #return_check
            }
        };

        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() #ret {
            #run(
                ::harness::__private::TestInfo {
                    module: ::core::module_path!(),
                    name: ::core::stringify!(#name),
                    migrations: #migrations,
                    manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                    fixtures: &[#(#fixtures),*],
                    timeout: #timeout,
                    runtime: #runtime,
                    should_panic: #should_panic,
                },
                |__harness_test: ::harness::TestContext| async move {
                    #set_up
                    let mut __harness_setup = ::harness::__private::Setup::default();
                    #(#takes)*
                    if let ::core::option::Option::Some(failure) = __harness_setup.failure() {
                        return ::harness::__private::Step::SetupFailed(failure);
                    }
                    #(#unwraps)*
                    let __harness_body = async move #body;
                    let __harness_body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = #output>> =
                        ::core::pin::pin!(__harness_body);
                    let __harness_span = ::harness::__private::body_span();
                    let __harness_value = __harness_body.await;
                    ::core::mem::drop(__harness_span);
                    ::harness::__private::Step::Ran(__harness_value)
                },
            )
        }
    })
}

fn type_text(ty: &Type) -> String {
    quote!(#ty)
        .to_string()
        .replace(" :: ", "::")
        .replace(" < ", "<")
        .replace(" >", ">")
}
