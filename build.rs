fn main() {
    // Embeds templates/ in the binary; `--templates DIR` can still replace any of them.
    minijinja_embed::embed_templates!("templates");
}
