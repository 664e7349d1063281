"""Service catalog: loading versioned data files, browsing and search."""
