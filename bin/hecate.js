#!/usr/bin/env node
// Runs the built CLI when it is there and current (npm run build), otherwise the TypeScript sources.
import { start } from "./start.js";

await start("cli/main");
