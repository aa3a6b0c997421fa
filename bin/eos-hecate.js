#!/usr/bin/env node
// The eos-style adapter (`eos-hecate create hecate route ...`): the build when current, otherwise the sources.
import { start } from "./start.js";

await start("cli/eos");
