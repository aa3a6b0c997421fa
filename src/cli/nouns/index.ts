// Every noun the CLI knows, and lookup by any of its words.
import type { Kind } from "../../model/schema.js";
import { authPolicy } from "./auth-policy.js";
import { cert } from "./cert.js";
import { dns } from "./dns.js";
import { middleware } from "./middleware.js";
import type { NounDef } from "./noun.js";
import { route } from "./route.js";
import { secret } from "./secret.js";
import { stream } from "./stream.js";
import { upstream } from "./upstream.js";

export const NOUNS: readonly NounDef[] = [route, upstream, authPolicy, middleware, stream, dns, cert, secret];

export function nounForKind(kind: Kind): NounDef | undefined {
  return NOUNS.find((n) => n.kind === kind);
}

export type { NounDef } from "./noun.js";
