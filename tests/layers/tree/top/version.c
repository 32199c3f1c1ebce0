const char *top_version(void);

const char *top_version(void) { return "1.0"; }
