//! Compiles the screens once, with the Chinese translation bundled and the embedded font.
fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("lang")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    slint_build::compile_with_config("ui/main.slint", config).expect("the Slint UI compiles");
    println!("cargo:rerun-if-changed=lang");
}
