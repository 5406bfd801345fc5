"""Demo deliveries: realistic department files with known, injected defects and their ground truth."""
