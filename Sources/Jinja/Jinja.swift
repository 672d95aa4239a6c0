// Jinja module
