/**
 * Passwords given on a command line by short flags or positions, as they show up in `ps`, shell
 * history, cron mails and audit logs. Long flags (`--password x`, `-password x`) are names like any
 * other and are found by the key/value detector; these are the tools whose secret has no name.
 */
import { type Span, span } from './spans.js';

const VALUE = `(?:'[^'\\n]*'|"[^"\\n]*"|[^\\s'"|;&]+)`;
const TOOL_FLAGS: RegExp[] = [
  // sshpass -p pw, plink/pscp -pw pw
  new RegExp(`\\bsshpass\\b[^\\n]*?\\s-p\\s*(${VALUE})`, 'g'),
  new RegExp(`\\b(?:plink|pscp|psftp)\\b[^\\n]*?\\s-pw\\s+(${VALUE})`, 'g'),
  // redis-cli -a pw
  new RegExp(`\\bredis-cli\\b[^\\n]*?\\s-a\\s*(${VALUE})`, 'g'),
  // docker/podman/helm/… login -p pw
  new RegExp(`\\b(?:docker|podman|nerdctl|buildah|skopeo|helm|oras|crane|regctl)\\b[^\\n]*?\\blogin\\b[^\\n]*?\\s-p\\s+(${VALUE})`, 'g'),
  // the MySQL family: -pPW glued (`-p` alone prompts)
  new RegExp(`\\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlpump|mariadb|mariadb-dump|mariadb-admin|mydumper|myloader)\\b[^\\n]*?\\s-p(?![\\s-])(${VALUE})`, 'g'),
  // MongoDB tools: -p pw
  new RegExp(`\\b(?:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop)\\b[^\\n]*?\\s-p\\s+(${VALUE})`, 'g'),
  // SQL Server tools, ipmitool: -P pw
  new RegExp(`\\b(?:sqlcmd|bcp|osql|isql|ipmitool)\\b[^\\n]*?\\s-P\\s*(${VALUE})`, 'g'),
  // OpenLDAP clients: -w pw
  new RegExp(`\\bldap(?:search|add|modify|delete|whoami|passwd|compare|modrdn|exop)\\b[^\\n]*?\\s-w\\s+(${VALUE})`, 'g'),
  // zip/unzip -P pw, 7z -pPW
  new RegExp(`\\b(?:zip|unzip|zipcloak)\\b[^\\n]*?\\s-P\\s+(${VALUE})`, 'g'),
  new RegExp(`\\b(?:7z|7za|7zr|rar|unrar)\\b[^\\n]*?\\s-p(${VALUE})`, 'g'),
  // net-snmp v3: -A auth pass, -X priv pass; v1/v2c community: -c
  new RegExp(`\\bsnmp(?:get|walk|bulkwalk|set|trap|table|bulkget|inform)\\b[^\\n]*?\\s-[AXc]\\s*(${VALUE})`, 'g'),
  // useradd/usermod -p HASH
  new RegExp(`\\b(?:useradd|usermod)\\b[^\\n]*?\\s-p\\s+(${VALUE})`, 'g'),
  // openssl -pass pass:X / -passin pass:X / -passout pass:X / enc -k X
  new RegExp(`\\bopenssl\\b[^\\n]*?\\s-(?:pass|passin|passout)\\s+['"]?pass:(${VALUE})`, 'g'),
  new RegExp(`\\bopenssl\\b[^\\n]*?\\s-k\\s+(${VALUE})`, 'g'),
  // rdesktop -p pw, xfreerdp /p:pw
  new RegExp(`\\brdesktop\\b[^\\n]*?\\s-p\\s+(${VALUE})`, 'g'),
  new RegExp(`\\b[xw]freerdp\\b[^\\n]*?\\s/p:(${VALUE})`, 'g'),
  // vault login TOKEN (positional)
  new RegExp(`\\bvault\\s+login\\s+(?!-)(${VALUE})`, 'g'),
  // rabbitmqctl add_user/change_password USER PW
  new RegExp(`\\brabbitmqctl\\s+(?:add_user|change_password)\\s+\\S+\\s+(${VALUE})`, 'g'),
  // htpasswd -b FILE USER PW (-bc, -bB, …), or -nb USER PW
  new RegExp(`\\bhtpasswd\\s+-\\w*b\\w*\\s+(?:\\S+\\s+)?\\S+\\s+(${VALUE})\\s*$`, 'gm'),
  new RegExp(`\\bhtpasswd\\s+-\\w*n\\w*b\\w*\\s+\\S+\\s+(${VALUE})`, 'g'),
  // wpa_passphrase SSID PASSPHRASE; nmcli … password|psk PW; Windows `net user NAME PW`
  new RegExp(`\\bwpa_passphrase\\s+\\S+\\s+(${VALUE})`, 'g'),
  new RegExp(`\\bnmcli\\b[^\\n]*?\\s(?:password|wifi-sec\\.psk|psk)\\s+(${VALUE})`, 'g'),
  new RegExp(`\\bnet\\s+user\\s+\\S+\\s+(?!/)(${VALUE})`, 'gi'),
];

// user:password pairs: curl -u / --user / --proxy-user, smbclient -U user%pw, lftp -u user,pw,
// `echo user:pw | chpasswd`, `echo PW | … --password-stdin`
const PAIRS: RegExp[] = [
  /\b(?:curl|wget|http|httpie)\b[^\n]*?\s(?:-u|--user|-U|--proxy-user)[=\s]*['"]?[^:\s'"]*:([^\s'"]+)/g,
  /\b(?:smbclient|rpcclient|smbmap|smbget|mount\.cifs|net)\b[^\n]*?\s(?:-U|--user(?:name)?)[=\s]*['"]?[^%\s'"]+%([^\s'"]+)/g,
  /\blftp\b[^\n]*?\s-u\s+['"]?[^,\s'"]+,([^\s'"]+)/g,
  /\becho\s+(?:-[ne]+\s+)?['"]?[\w.-]+:([^\s'"|]+)['"]?\s*\|\s*(?:sudo\s+)?chpasswd/g,
  /\becho\s+(?:-[ne]+\s+)?(?:'([^'\n]+)'|"([^"\n$]+)"|([^\s'"|$][^\s|]*))\s*\|[^\n]*--password-stdin/g,
];

export function commandLines(text: string): Span[] {
  const out: Span[] = [];
  for (const pattern of [...TOOL_FLAGS, ...PAIRS]) {
    for (const m of text.matchAll(pattern)) {
      const value = m[1] ?? m[2] ?? m[3];
      if (!value || value.startsWith('[REDACTED') || /^\$\{?\w+\}?$/.test(value)) continue;
      const end = (m.index ?? 0) + m[0].lastIndexOf(value) + value.length;
      const quoted = /^['"]/.test(value) ? 1 : 0;
      const s = span(text, end - value.length + quoted, end - quoted);
      if (s) out.push(s);
    }
  }
  return out;
}
