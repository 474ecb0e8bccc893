"""Test APKs for the sandbox: a binary-XML manifest encoder, the build script (zipalign +
apksigner with a throwaway key made at build time) and the small committed APKs it made."""
