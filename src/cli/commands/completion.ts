// `hecate completion bash|zsh|fish`: a completion script generated from the command tree, so it
// always knows every verb, noun and flag the CLI has.
import type { Command } from "commander";
import { UsageError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";

interface Node {
  path: string; // "hecate create route"
  words: string[]; // subcommands (names and aliases) and flags
}

export function commandTable(root: Command): Node[] {
  const out: Node[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const subs = cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]);
    const flags = cmd.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)));
    out.push({ path: path.join(" "), words: [...subs, ...flags, "--help"] });
    for (const c of cmd.commands) for (const n of [c.name(), ...c.aliases()]) walk(c, [...path, n]);
  };
  walk(root, [root.name()]); // keys start with the program name: shells reject an empty key
  return out;
}

function bash(name: string, table: Node[]): string {
  const fn = `_${name.replace(/-/g, "_")}_complete`;
  const entries = table.map((n) => `    [${JSON.stringify(n.path)}]=${JSON.stringify(n.words.join(" "))}`).join("\n");
  return `# bash completion for ${name}; load with: source <(${name} completion bash)
${fn}() {
  local -A words=(
${entries}
  )
  local path="${name}" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    if [[ -n "\${words["$path $w"]+x}" ]]; then path="$path $w"; fi
  done
  COMPREPLY=($(compgen -W "\${words["$path"]}" -- "\${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F ${fn} ${name}
`;
}

function zsh(name: string, table: Node[]): string {
  const fn = `_${name.replace(/-/g, "_")}`;
  const entries = table.map((n) => `    ${JSON.stringify(n.path)} ${JSON.stringify(n.words.join(" "))}`).join("\n");
  return `#compdef ${name}
# zsh completion for ${name}; load with: source <(${name} completion zsh)
${fn}() {
  local -A table
  table=(
${entries}
  )
  local path="${name}" w
  for w in \${words[2,CURRENT-1]}; do
    [[ "$w" == -* ]] && continue
    if (( \${+table[$path $w]} )); then path="$path $w"; fi
  done
  compadd -- \${=table[$path]}
}
compdef ${fn} ${name}
`;
}

function fish(name: string, table: Node[]): string {
  const fn = `__${name.replace(/-/g, "_")}_path`;
  const lines = table.map((n) => `complete -c ${name} -f -n ${JSON.stringify(`test (${fn}) = '${n.path}'`)} -a ${JSON.stringify(n.words.join(" "))}`);
  return `# fish completion for ${name}; load with: ${name} completion fish | source
function ${fn}
  set -l table ${table.map((n) => `'${n.path}'`).join(" ")}
  set -l path '${name}'
  for w in (commandline -opc)[2..-1]
    string match -q -- '-*' $w; and continue
    contains -- "$path $w" $table; and set path "$path $w"
  end
  echo $path
end
${lines.join("\n")}
`;
}

export function completion(root: () => Command, name?: string): CommandDef {
  return {
    name: "completion",
    args: ["<shell>"],
    summary: "print a shell completion script (bash, zsh or fish)",
    examples: ["source <(hecate completion bash)", "hecate completion zsh > ~/.zfunc/_hecate", "hecate completion fish | source"],
    async run(ctx, [shell]) {
      const program = root();
      const bin = name ?? program.name();
      const table = commandTable(program);
      if (shell === "bash") ctx.out(bash(bin, table));
      else if (shell === "zsh") ctx.out(zsh(bin, table));
      else if (shell === "fish") ctx.out(fish(bin, table));
      else throw new UsageError(`unknown shell "${shell}": expected bash, zsh or fish`);
    },
  };
}
