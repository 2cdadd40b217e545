"""naesView sync API: projects, reviewers and reviews; never pixels, file names or paths."""
