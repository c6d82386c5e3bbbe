/**
 * Which proxy, if any, the client goes through: the `proxy` option, else the
 * environment read the way curl reads it (`https_proxy`, `HTTPS_PROXY`,
 * `all_proxy`, `ALL_PROXY`, and `http_proxy` for an `http:` base URL), with
 * `no_proxy` / `NO_PROXY` exceptions. Pure functions: the runtime files only
 * carry out the decision, so every runtime decides the same way.
 *
 * @module
 */

/** A proxy to tunnel through, credentials split off the URL. */
export interface ProxySettings {
  /** `http://host:port` or `https://host:port`, without credentials. */
  readonly url: string;
  /** Basic credentials for the proxy, decoded from the URL's userinfo. */
  readonly username?: string;
  readonly password?: string;
  /** The URL safe to print: `http://[REDACTED]@host:port` when it carried credentials. */
  readonly display: string;
  /** Where it came from: `"proxy option"` or the variable's name. */
  readonly source: string;
}

/** The outcome of {@linkcode resolveProxy}. */
export interface ProxyDecision {
  /** The proxy to use, or `null` to connect directly. */
  readonly proxy: ProxySettings | null;
  /** Why not, when the environment named a proxy that `NO_PROXY` excludes. */
  readonly bypassedBy?: string;
  /** Problems with the option or a variable (values never include credentials). */
  readonly problems: readonly string[];
}

/** The variables that can name a proxy, in any runtime. */
export const PROXY_VARIABLES: readonly string[] = [
  "https_proxy",
  "HTTPS_PROXY",
  "http_proxy",
  "HTTP_PROXY",
  "all_proxy",
  "ALL_PROXY",
  "no_proxy",
  "NO_PROXY",
];

/** curl's default port of an `http://` proxy named without one. */
const CURL_HTTP_PROXY_PORT = "1080";

/**
 * Replaces a URL's userinfo, also in text that does not parse as a URL:
 * everything up to the last `@`, since a password typed without
 * percent-encoding may hold `@`, `/`, `?` or `#`.
 */
export function redactUserinfo(text: string): string {
  return text.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)?[^]*@/i,
    (_, scheme = "") => `${scheme}[REDACTED]@`,
  );
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  let rest = text;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon !== -1 && rest.includes(".", lastColon)) {
    // An embedded IPv4 tail (`::ffff:10.0.0.1`) is two more groups.
    const v4 = parseIpv4(rest.slice(lastColon + 1));
    if (!v4) return undefined;
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    rest = `${rest.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
  }
  const halves = rest.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => half === "" ? [] : half.split(":");
  const head = groups(halves[0]);
  const back = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...back];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return all.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function sameNetwork(address: number[], network: number[], bits: number): boolean {
  if (address.length !== network.length) return false;
  for (let i = 0; i < address.length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - take)) & 0xff;
    if ((address[i] & mask) !== (network[i] & mask)) return false;
  }
  return true;
}

/** Splits `host:port`, `[v6]:port`, `[v6]` and a bare IPv6 literal. */
function splitEntry(entry: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] };
  const hostPort = /^([^:]*):(\d+)$/.exec(entry);
  if (hostPort) return { host: hostPort[1], port: hostPort[2] };
  return { host: entry };
}

/**
 * Whether `noProxy` (the value of `NO_PROXY`) exempts `hostname:port` from
 * the proxy, as curl decides it: entries split on commas and blanks; `*` as
 * the whole value matches everything; a name matches itself and its
 * subdomains (`example.com` and `.example.com` both match `www.example.com`,
 * not `notexample.com`), case-insensitively, trailing dots ignored; an IP
 * address matches only an IP host, exactly or by CIDR (`10.0.0.0/8`,
 * `fd00::/8`); IPv6 entries may be bracketed. Two extensions that Go and
 * undici also make: a `*` entry among others matches everything, and an entry
 * with a port (`host:8443`, `[::1]:8443`) only matches that port.
 *
 * @param hostname As in a URL: an IPv6 literal may keep its brackets.
 */
export function bypassesProxy(noProxy: string, hostname: string, port: number): boolean {
  const value = noProxy.trim();
  if (value === "") return false;
  if (value === "*") return true;
  const host = hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
  if (host === "") return false;
  const ip = parseIpv4(host) ?? (host.includes(":") ? parseIpv6(host) : undefined);
  for (const raw of value.split(/[\s,]+/)) {
    if (raw === "") continue;
    if (raw === "*") return true;
    const entry = splitEntry(raw);
    if (entry.port !== undefined && Number(entry.port) !== port) continue;
    if (ip) {
      const [network, bitsText] = entry.host.split("/");
      const networkBytes = parseIpv4(network) ?? parseIpv6(network);
      if (!networkBytes || networkBytes.length !== ip.length) continue;
      const bits = bitsText === undefined ? ip.length * 8 : Number(bitsText);
      if (!/^\d+$/.test(bitsText ?? "0") || bits > ip.length * 8) continue;
      if (sameNetwork(ip, networkBytes, bits)) return true;
      continue;
    }
    const name = entry.host.replace(/^\*?\./, "").replace(/\.$/, "").toLowerCase();
    if (name === "") continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

function parseProxyUrl(
  raw: string,
  source: string,
  problems: string[],
): ProxySettings | null {
  const name = source === "proxy option" ? "proxy" : source;
  const text = raw.trim();
  // curl takes a bare `host:port` as an http proxy.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  const shown = JSON.stringify(redactUserinfo(text));
  if (!URL.canParse(withScheme)) {
    problems.push(`${name} must be a proxy URL like http://proxy.example:3128, got ${shown}`);
    return null;
  }
  const url = new URL(withScheme);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(
      `${name} must be an http:// or https:// proxy (socks is not supported), got ${shown}`,
    );
    return null;
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    problems.push(`${name} must name only the proxy's scheme, host and port, got ${shown}`);
    return null;
  }
  const port = url.port || (url.protocol === "http:" ? CURL_HTTP_PROXY_PORT : "443");
  const plain = `${url.protocol}//${url.hostname}:${port}`;
  const hasCredentials = url.username !== "" || url.password !== "";
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  return {
    url: plain,
    ...(hasCredentials ? { username: decode(url.username), password: decode(url.password) } : {}),
    display: hasCredentials ? plain.replace("//", "//[REDACTED]@") : plain,
    source,
  };
}

function firstSet(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") return { name, value };
  }
  return undefined;
}

/**
 * Decides the proxy for requests to `target`. `option` is the client's
 * `proxy` option: a URL overrides the environment (`NO_PROXY` included),
 * `false` ignores it, `undefined` reads it.
 */
export function resolveProxy(
  target: URL,
  option: string | false | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ProxyDecision {
  const problems: string[] = [];
  if (option === false) return { proxy: null, problems };
  if (option !== undefined) {
    return { proxy: parseProxyUrl(option, "proxy option", problems), problems };
  }
  // As curl: `http_proxy` only in lower case, since CGI servers set HTTP_PROXY from a header.
  const names = target.protocol === "https:"
    ? ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    : ["http_proxy", "all_proxy", "ALL_PROXY"];
  const found = firstSet(env, names);
  if (!found) return { proxy: null, problems };
  const noProxy = firstSet(env, ["no_proxy", "NO_PROXY"]);
  const port = Number(target.port || (target.protocol === "https:" ? 443 : 80));
  if (noProxy && bypassesProxy(noProxy.value, target.hostname, port)) {
    return { proxy: null, bypassedBy: noProxy.name, problems };
  }
  return { proxy: parseProxyUrl(found.value, found.name, problems), problems };
}
