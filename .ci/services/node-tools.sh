# Sourced by .ci/run before `dotnet test`: what the real-world tests (tests/Ett.Gateway.Tests/RealWorld) need — the
# npm packages in tests/node (oidc-provider, playwright-core; no browser download) and Debian's chromium. Idempotent;
# runs as root. Sourced, so it must `return` (never `exit`) and must leave the caller's shell options alone.

ett_ci_node_tools() {
  command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are required (the machine ships them)"; return 1; }

  if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed'; then
    echo "installing chromium"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null || return 1
  fi

  if ! (cd tests/node && npm ls --omit=dev >/dev/null 2>&1); then
    echo "installing tests/node (npm ci)"
    (cd tests/node && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null) || return 1
  fi
  echo "node $(node --version), $(/usr/bin/chromium --version 2>/dev/null), tests/node ready"
}

ett_ci_node_tools
ett_ci_node_tools_rc=$?
unset -f ett_ci_node_tools
return "$ett_ci_node_tools_rc" 2>/dev/null || exit "$ett_ci_node_tools_rc"
