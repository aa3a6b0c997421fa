// The apiVersion of every Hecate resource: its own module so the CLI names it without loading the schemas (zod).
export const API_VERSION = "hecate.io/v1";
