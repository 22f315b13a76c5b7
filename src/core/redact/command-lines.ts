/**
 * Passwords given on a command line by short flags or positions, as they show up in `ps`, shell
 * history, cron mails and audit logs. Long flags (`--password x`, `-password x`) are names like any
 * other and are found by the key/value detector; these are the tools whose secret has no name.
 */
import { type Span, span } from './spans.js';

/** The words one of these lines must have (detect.ts runs the patterns on those lines only). */
export const TOOL_WORDS =
  /sqlplus|rman|expdp|impdp|exp|imp|sqlldr|dgmgrl|sshpass|plink|pscp|psftp|redis-|valkey-|keydb-|mosquitto_|cqlsh|rabbitmqadmin|ncftp|vsql|etcdctl|login|mysql|mariadb|mydumper|myloader|mongo|sqlcmd|bcp|osql|isql|ipmitool|ipmi|racadm|wpa_cli|AUTHENTICATE|ldap|zip|7z|rar|snmp|useradd|usermod|openssl|rdesktop|freerdp|vault|rabbitmqctl|htpasswd|wpa_passphrase|nmcli|net\s+use|curl|wget|http|smb|rpcclient|mount\.cifs|lftp|chpasswd|password-stdin/i;

const VALUE = `(?:'[^'\\n]*'|"[^"\\n]*"|[^\\s'"|;&]+)`;
/** [the tool, then its flag with the value]: every flag after the tool on its line is redacted. */
const TOOL_FLAGS: [RegExp, RegExp][] = [
  // sshpass -p pw, plink/pscp -pw pw
  [/\bsshpass\b/g, flag('\\s-p\\s*')],
  [/\b(?:plink|pscp|psftp)\b/g, flag('\\s-pw\\s+')],
  // redis-cli and its forks (valkey, keydb): -a pw
  [/\b(?:redis-cli|valkey-cli|keydb-cli|redis-benchmark|valkey-benchmark)\b/g, flag('\\s-a\\s*')],
  // docker/podman/helm/… login -p pw, az login -p (a password or a service principal's secret)
  [
    /\b(?:docker|podman|nerdctl|buildah|skopeo|helm|oras|crane|regctl|az)\b[^\n]{0,200}?\blogin\b/g,
    flag('\\s-p\\s*'),
  ],
  // the MySQL family: -pPW glued (`-p` alone prompts)
  [
    /\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlpump|mysqlsh|mariadb|mariadb-dump|mariadb-admin|mydumper|myloader)\b/g,
    flag('\\s-p(?=[^\\s,.;)-])'),
  ],
  // MongoDB tools, Cassandra cqlsh, RabbitMQ rabbitmqadmin, ncftp: -p pw
  [
    /\b(?:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop|cqlsh|rabbitmqadmin|ncftp\w*)\b/g,
    flag('\\s-p\\s*'),
  ],
  // SQL Server tools, ipmitool, MQTT clients: -P pw
  [/\b(?:sqlcmd|bcp|osql|isql|ipmitool|mosquitto_(?:pub|sub|rr))\b/g, flag('\\s-P\\s*')],
  // BMC tools: ipmitool -k/-y (the Kg key), racadm and FreeIPMI -p
  [/\bipmitool\b/g, flag('\\s-[ky]\\s+')],
  [/\b(?:racadm|idracadm7?|ipmi-\w+|ipmipower|ipmiconsole|ipmiutil|bmc-\w+)\b/g, flag('\\s-[pP]\\s*')],
  // OpenLDAP clients, Vertica vsql: -w pw
  [/\b(?:ldap(?:search|add|modify|delete|whoami|passwd|compare|modrdn|exop)|vsql)\b/g, flag('\\s-w\\s*')],
  // zip/unzip -P pw, 7z -pPW
  [/\b(?:zip|unzip|zipcloak)\b/g, flag('\\s-P\\s*')],
  [/\b(?:7z|7za|7zr|rar|unrar)\b/g, flag('\\s-p')],
  // net-snmp v3: -A auth pass, -X priv pass; v1/v2c community: -c
  [/\bsnmp(?:get|walk|bulkwalk|set|trap|table|bulkget|inform)\b/g, flag('\\s-[AXc]\\s*')],
  // useradd/usermod -p HASH
  [/\b(?:useradd|usermod)\b/g, flag('\\s-p\\s*')],
  // openssl -pass pass:X / -passin pass:X / -passout pass:X / enc -k X
  [/\bopenssl\b/g, flag(`\\s-(?:pass|passin|passout)\\s+['"]?pass:`)],
  [/\bopenssl\b/g, flag('\\s-k\\s+')],
  // openssl enc -K HEXKEY, dgst -hmac KEY, mac -macopt key:/hexkey:
  [/\bopenssl\b/g, flag('\\s-(?:K|hmac)\\s+')],
  [/\bopenssl\b/g, flag('\\s-macopt\\s+(?:hex)?key:')],
  // rdesktop -p pw, xfreerdp /p:pw
  [/\brdesktop\b/g, flag('\\s-p\\s*')],
  [/\b[xw]freerdp\b/g, flag('\\s/p:')],
  // nmcli … password|psk PW
  [/\bnmcli\b/g, flag('\\s(?:password|wifi-sec\\.psk|psk)\\s+')],
  // wpa_cli set_network N psk|password|wep_keyN VALUE
  [
    /\bwpa_cli\b/g,
    flag('\\bset_network\\s+\\d+\\s+(?:psk|password|sae_password|wep_key\\d|private_key_passwd)\\s+'),
  ],
  // user:password pairs: curl -u / --user / --proxy-user (glued too), smbclient -U user%pw, lftp -u user,pw
  [/\b(?:curl|wget|http|httpie)\b/g, /\s(?:-u|--user|-U|--proxy-user)[=\s]*['"]?[^:\s'"]*:([^\s'"]+)/g],
  // HTTPie -a/--auth user:pw, etcdctl --user user:pw
  // (the command word, not a URL's scheme: `http://` is on every line with a URL)
  [/\b(?:https?|httpie)(?=[ \t])/g, /\s(?:-a|--auth)[=\s]*['"]?[^:\s'"]*:([^\s'"]+)/g],
  [/\betcdctl\b/g, /\s--user[=\s]*['"]?[^:\s'"]+:([^\s'"]+)/g],
  [
    /\b(?:smbclient|rpcclient|smbmap|smbget|mount\.cifs|net)\b/g,
    /\s(?:-U|--user(?:name)?)[=\s]*['"]?[^%\s'"]+%([^\s'"]+)/g,
  ],
  [/\blftp\b/g, /\s-u\s+['"]?[^,\s'"]+,([^\s'"]+)/g],
];

function flag(prefix: string): RegExp {
  return new RegExp(`${prefix}(${VALUE})`, 'g');
}

/** Positional secrets: the value is the group. */
const POSITIONAL: RegExp[] = [
  // vault login TOKEN
  new RegExp(`\\bvault\\s+login\\s+(?!-)(${VALUE})`, 'g'),
  // rabbitmqctl add_user/change_password USER PW
  new RegExp(`\\brabbitmqctl\\s+(?:add_user|change_password)\\s+\\S+\\s+(${VALUE})`, 'g'),
  // htpasswd -b FILE USER PW (-bc, -bB, -b -c, …), or -nb USER PW
  new RegExp(
    `\\bhtpasswd\\s+(?:-\\w+\\s+)*-\\w*b\\w*\\s+(?:-\\w+\\s+)*(?:\\S+\\s+)?\\S+\\s+(${VALUE})\\s*$`,
    'gm',
  ),
  new RegExp(`\\bhtpasswd\\s+(?:-\\w+\\s+)*-\\w*n\\w*b\\w*\\s+(?:-\\w+\\s+)*\\S+\\s+(${VALUE})`, 'g'),
  // Windows `net use DRIVE: \\\\server\\share PW /user:NAME`
  new RegExp(`\\bnet\\s+use\\s+(?:[A-Za-z*]:\\s+)?\\\\\\\\\\S+\\s+(?!/)(${VALUE})`, 'gi'),
  // Oracle tools: user/password[@db]
  /\b(?:sqlplus|rman|expdp|impdp|exp|imp|sqlldr|dgmgrl)\b(?:\s+-\w+)*\s+(?:target\s+)?['"]?[\w$#]+\/([^@\s'"/]+)/gi,
  // Tor's control port: AUTHENTICATE <hex cookie or "password">
  new RegExp(`\\bAUTHENTICATE\\s+(${VALUE})`, 'g'),
  // wpa_passphrase SSID PASSPHRASE; Windows `net user NAME PW`
  new RegExp(`\\bwpa_passphrase\\s+\\S+\\s+(${VALUE})`, 'g'),
  new RegExp(`\\bnet\\s+user\\s+\\S+\\s+(?!/)(${VALUE})`, 'gi'),
];

// `echo user:pw | chpasswd`, `echo PW | … --password-stdin` (the pipe's command within a bound:
// a line of thousands of `echo x |` must not be read to its end for each)
const PAIRS: RegExp[] = [
  /\becho\s+(?:-[ne]+\s+)?['"]?[\w.-]+:([^\s'"|]+)['"]?\s*\|\s*(?:sudo\s+)?chpasswd/g,
  /\becho\s+(?:-[ne]+\s+)?(?:'([^'\n]+)'|"([^"\n$]+)"|([^\s'"|$][^\s|]*))\s*\|[^\n]{0,512}?--password-stdin/g,
];

export function commandLines(text: string): Span[] {
  const out: Span[] = [];
  const push = (m: RegExpMatchArray, offset: number) => {
    const value = m[1] ?? m[2] ?? m[3];
    if (!value || value.startsWith('[REDACTED') || /^\$\{?\w+\}?$/.test(value)) return;
    const end = offset + (m.index ?? 0) + m[0].lastIndexOf(value) + value.length;
    const quoted = /^['"]/.test(value) ? 1 : 0;
    const s = span(text, end - value.length + quoted, end - quoted);
    if (s) out.push(s);
  };
  for (const [tool, flagged] of TOOL_FLAGS) {
    // the rest of a line after its first tool word holds every flag after any later one: each line
    // is read once per tool, not once per tool word on it
    tool.lastIndex = 0;
    for (let t = tool.exec(text); t; t = tool.exec(text)) {
      const from = t.index + t[0].length;
      const eol = text.indexOf('\n', from);
      const end = eol === -1 ? text.length : eol;
      for (const m of text.slice(from, end).matchAll(flagged)) push(m, from);
      tool.lastIndex = end;
    }
  }
  for (const pattern of [...POSITIONAL, ...PAIRS]) for (const m of text.matchAll(pattern)) push(m, 0);
  return out;
}
