"""Media: image uploads, decoded, re-encoded, stripped of metadata and served with access checks."""
