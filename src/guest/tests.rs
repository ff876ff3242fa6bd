//! Tests for the guest renderers: golden files for every format, parse-back of the sysconfig and
//! interfaces(5) formats (so a wrong netmask is caught even when the golden file is re-blessed
//! carelessly), and a network-namespace run of the iproute2 script.
//!
//! Golden files live in `fixtures/guest/<instance>/<os>/<path>`. After an intended output change,
//! regenerate them with `NETFORM_BLESS=1 cargo test --lib guest` and review the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// Primary ENI with three secondary IPs in a /24.
fn inst_secondary_ips() -> GuestInstance {
    GuestInstance {
        instance_id: "i-bp1guestsecips".into(),
        state_serial: 7,
        interfaces: vec![GuestEni {
            eni_id: "eni-bp1prim0a".into(),
            device_index: 0,
            mac: "00:16:3e:0a:00:01".into(),
            vswitch_cidr: "172.16.0.0/24".parse().unwrap(),
            vswitch_ipv6_cidr: None,
            primary_ip: v4("172.16.0.133"),
            secondary_ipv4: vec![v4("172.16.0.140"), v4("172.16.0.141"), v4("172.16.0.142")],
            ipv6: vec![],
            binded_eip: None,
        }],
    }
}

/// A bare primary ENI plus a secondary ENI in a /20 with IPv4 and IPv6 secondaries and a BINDED
/// EIP. The /20 makes the gateway (10.1.31.253) and netmask differ from the /24 pattern.
fn inst_secondary_eni() -> GuestInstance {
    GuestInstance {
        instance_id: "i-bp1guestseceni".into(),
        state_serial: 7,
        interfaces: vec![
            GuestEni {
                eni_id: "eni-bp1sec1b".into(),
                device_index: 1,
                mac: "00:16:3E:0B:00:02".into(),
                vswitch_cidr: "10.1.16.0/20".parse().unwrap(),
                vswitch_ipv6_cidr: Some("2408:4005:3ff:a100::/64".parse().unwrap()),
                primary_ip: v4("10.1.20.5"),
                secondary_ipv4: vec![v4("10.1.20.6"), v4("10.1.20.7")],
                ipv6: vec![v6("2408:4005:3ff:a100::10"), v6("2408:4005:3ff:a100::11")],
                binded_eip: Some(v4("47.98.10.20")),
            },
            GuestEni {
                eni_id: "eni-bp1prim0b".into(),
                device_index: 0,
                mac: "00:16:3e:0b:00:01".into(),
                vswitch_cidr: "192.168.0.0/24".parse().unwrap(),
                vswitch_ipv6_cidr: None,
                primary_ip: v4("192.168.0.10"),
                secondary_ipv4: vec![],
                ipv6: vec![],
                binded_eip: None,
            },
        ],
    }
}

fn fixture() -> Vec<GuestInstance> {
    vec![inst_secondary_ips(), inst_secondary_eni()]
}

fn golden_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/guest")
}

fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn file<'a>(files: &'a [GuestFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| {
            let have: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            panic!("no file {path}; rendered {have:?}")
        })
        .contents
}

fn paths(files: &[GuestFile]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn guest_golden_files() {
    let bless = std::env::var_os("NETFORM_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for inst in fixture() {
        for os in Os::ALL {
            let dir = golden_root().join(&inst.instance_id).join(os.name());
            let files = render(&inst, os);
            assert!(
                !files.is_empty(),
                "{} {os}: nothing rendered",
                inst.instance_id
            );
            if bless {
                let _ = std::fs::remove_dir_all(&dir);
                for f in &files {
                    let p = dir.join(&f.path);
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(&p, &f.contents).unwrap();
                }
                continue;
            }
            let want: BTreeSet<String> = files_under(&dir);
            let got: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
            if want != got {
                failures.push(format!(
                    "{}: file set differs\n  golden:   {want:?}\n  rendered: {got:?}",
                    dir.display()
                ));
                continue;
            }
            for f in &files {
                let golden = std::fs::read_to_string(dir.join(&f.path)).unwrap();
                if golden != f.contents {
                    let diff = similar::TextDiff::from_lines(&golden, &f.contents)
                        .unified_diff()
                        .header("golden", "rendered")
                        .to_string();
                    failures.push(format!("{}/{}:\n{diff}", dir.display(), f.path));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatch (NETFORM_BLESS=1 to accept):\n{}",
        failures.join("\n")
    );
}

#[test]
fn guest_every_file_starts_with_generated_header() {
    for inst in fixture() {
        let want = format!(
            "# Generated by netform from state serial 7 for instance {}. Do not edit by hand.",
            inst.instance_id
        );
        for os in Os::ALL {
            for f in render(&inst, os) {
                let mut lines = f.contents.lines();
                let mut first = lines.next().unwrap();
                if first.starts_with("#!") {
                    first = lines.next().unwrap();
                }
                assert_eq!(first, want, "{os} {}", f.path);
                assert!(f.contents.ends_with('\n'), "{os} {}", f.path);
                assert!(!f.path.starts_with('/'), "{os} {}", f.path);
            }
        }
    }
}

#[test]
fn guest_output_is_deterministic_and_independent_of_eni_order() {
    let inst = inst_secondary_eni();
    let mut reversed = inst.clone();
    reversed.interfaces.reverse();
    for os in Os::ALL {
        assert_eq!(render(&inst, os), render(&inst, os), "{os}");
        assert_eq!(render(&inst, os), render(&reversed, os), "{os}");
    }
}

#[test]
fn guest_nothing_to_configure_renders_no_files() {
    let mut inst = inst_secondary_eni();
    inst.interfaces.retain(|e| e.device_index == 0);
    // NAT-mode EIP: not visible in the guest, so still nothing.
    for os in Os::ALL {
        assert!(render(&inst, os).is_empty(), "{os}");
    }
    // A BINDED EIP alone is something to configure.
    inst.interfaces[0].binded_eip = Some(v4("47.98.10.21"));
    for os in Os::ALL {
        assert!(!render(&inst, os).is_empty(), "{os}");
    }
    // A secondary ENI without secondary addresses still needs its policy routing.
    let mut bare = inst_secondary_eni();
    for e in &mut bare.interfaces {
        e.secondary_ipv4.clear();
        e.ipv6.clear();
        e.binded_eip = None;
    }
    let rhel = render(&bare, Os::Rhel);
    assert_eq!(
        paths(&rhel),
        [
            "etc/sysconfig/network-scripts/ifcfg-eth1",
            "etc/sysconfig/network-scripts/route-eth1",
            "etc/sysconfig/network-scripts/rule-eth1",
        ]
    );
}

#[test]
fn guest_gateway_is_third_to_last_address() {
    assert_eq!(
        gateway(&"172.16.0.0/24".parse().unwrap()),
        v4("172.16.0.253")
    );
    assert_eq!(gateway(&"10.1.16.0/20".parse().unwrap()), v4("10.1.31.253"));
    assert_eq!(gateway(&"10.0.0.0/29".parse().unwrap()), v4("10.0.0.5"));
    // Host bits in the recorded CIDR must not shift the answer.
    assert_eq!(gateway(&"10.1.20.5/20".parse().unwrap()), v4("10.1.31.253"));
    assert_eq!(gateway(&"10.0.0.4/32".parse().unwrap()), v4("10.0.0.4"));
}

#[test]
fn guest_os_names_round_trip() {
    let names: Vec<&str> = Os::ALL.iter().map(|o| o.name()).collect();
    assert_eq!(
        names,
        ["rhel", "debian", "sles", "netplan", "windows", "iproute2"]
    );
    for os in Os::ALL {
        assert_eq!(Os::parse(os.name()), Some(os));
        assert_eq!(Os::parse(&os.name().to_uppercase()), Some(os));
    }
    assert_eq!(Os::parse("centos"), None);
    assert_eq!(Os::parse(""), None);
}

// ---------------------------------------------------------------------------------------------
// Parse-back: small parsers for the formats, written independently of the renderers.

/// sysconfig `KEY=value` files (RHEL and SLES): strips one level of single or double quotes,
/// ignores comments and blank lines, rejects anything else.
fn parse_kv(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not KEY=value: {line:?}"));
        assert!(
            k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad key {k:?}"
        );
        let v = v
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .or_else(|| v.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
            .unwrap_or(v);
        assert!(!v.contains(['\'', '"']), "stray quote in {line:?}");
        assert!(
            out.insert(k.to_string(), v.to_string()).is_none(),
            "duplicate key {k}"
        );
    }
    out
}

#[derive(Debug, Default)]
struct Stanza {
    iface: String,
    family: String,
    method: String,
    options: Vec<(String, String)>,
}

impl Stanza {
    fn get(&self, key: &str) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn one(&self, key: &str) -> &str {
        let v = self.get(key);
        assert_eq!(v.len(), 1, "{} {}: {key} = {v:?}", self.iface, self.family);
        v[0]
    }
}

/// interfaces(5): `auto` lines and `iface NAME FAMILY METHOD` stanzas with indented options.
fn parse_interfaces(text: &str) -> (BTreeSet<String>, Vec<Stanza>) {
    let mut auto = BTreeSet::new();
    let mut stanzas: Vec<Stanza> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut words = t.split_whitespace();
        let first = words.next().unwrap();
        match first {
            "auto" => auto.extend(words.map(str::to_string)),
            "iface" => {
                let w: Vec<&str> = words.collect();
                assert_eq!(w.len(), 3, "iface line {t:?}");
                stanzas.push(Stanza {
                    iface: w[0].into(),
                    family: w[1].into(),
                    method: w[2].into(),
                    options: vec![],
                });
            }
            _ => {
                assert!(
                    line.starts_with(char::is_whitespace),
                    "option outside stanza: {line:?}"
                );
                let (k, v) = t.split_once(char::is_whitespace).unwrap();
                stanzas
                    .last_mut()
                    .expect("option before any iface")
                    .options
                    .push((k.into(), v.trim().into()));
            }
        }
    }
    (auto, stanzas)
}

#[test]
fn guest_rhel_parses_back() {
    let files = render(&inst_secondary_ips(), Os::Rhel);
    assert_eq!(
        paths(&files),
        [
            "etc/sysconfig/network-scripts/ifcfg-eth0:0",
            "etc/sysconfig/network-scripts/ifcfg-eth0:1",
            "etc/sysconfig/network-scripts/ifcfg-eth0:2",
        ]
    );
    for (n, ip) in ["172.16.0.140", "172.16.0.141", "172.16.0.142"]
        .iter()
        .enumerate()
    {
        let kv = parse_kv(file(
            &files,
            &format!("etc/sysconfig/network-scripts/ifcfg-eth0:{n}"),
        ));
        assert_eq!(kv["DEVICE"], format!("eth0:{n}"));
        assert_eq!(kv["IPADDR"], *ip);
        assert_eq!(kv["NETMASK"], "255.255.255.0");
        assert_eq!(kv["GATEWAY"], "172.16.0.253");
        assert_eq!(kv["BOOTPROTO"], "static");
        assert_eq!(kv["ONBOOT"], "yes");
    }

    let files = render(&inst_secondary_eni(), Os::Rhel);
    let dir = "etc/sysconfig/network-scripts";
    let main = parse_kv(file(&files, &format!("{dir}/ifcfg-eth1")));
    assert_eq!(main["DEVICE"], "eth1");
    assert_eq!(main["HWADDR"], "00:16:3e:0b:00:02");
    assert_eq!(main["IPADDR"], "10.1.20.5");
    assert_eq!(main["NETMASK"], "255.255.240.0");
    assert_eq!(main["DEFROUTE"], "no");
    assert!(!main.contains_key("GATEWAY"));
    assert_eq!(main["IPV6INIT"], "yes");
    assert_eq!(
        main["IPV6ADDR_SECONDARIES"],
        "2408:4005:3ff:a100::10/64 2408:4005:3ff:a100::11/64"
    );
    let want = [
        ("10.1.20.6", "255.255.240.0"),
        ("10.1.20.7", "255.255.240.0"),
        ("47.98.10.20", "255.255.255.255"),
    ];
    for (n, (ip, mask)) in want.iter().enumerate() {
        let kv = parse_kv(file(&files, &format!("{dir}/ifcfg-eth1:{n}")));
        assert_eq!(kv["DEVICE"], format!("eth1:{n}"));
        assert_eq!(kv["IPADDR"], *ip);
        assert_eq!(kv["NETMASK"], *mask);
        assert!(
            !kv.contains_key("GATEWAY"),
            "eth1:{n} must not add a main default route"
        );
    }
    let route: Vec<&str> = file(&files, &format!("{dir}/route-eth1"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        route,
        [
            "10.1.16.0/20 dev eth1 src 10.1.20.5 table 1001",
            "default via 10.1.31.253 dev eth1 table 1001",
        ]
    );
    let rules: Vec<&str> = file(&files, &format!("{dir}/rule-eth1"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        rules,
        [
            "from 10.1.20.5 lookup 1001",
            "from 10.1.20.6 lookup 1001",
            "from 10.1.20.7 lookup 1001",
            "from 47.98.10.20 lookup 1001",
        ]
    );
    // eth0 of this instance has nothing extra, so it is left to the image.
    assert!(!paths(&files).iter().any(|p| p.contains("eth0")));
}

#[test]
fn guest_debian_parses_back() {
    let files = render(&inst_secondary_ips(), Os::Debian);
    assert_eq!(paths(&files), ["etc/network/interfaces.d/netform-eth0"]);
    let (auto, stanzas) = parse_interfaces(&files[0].contents);
    assert_eq!(
        auto,
        ["eth0:0", "eth0:1", "eth0:2"].map(String::from).into()
    );
    assert_eq!(stanzas.len(), 3);
    for (n, (st, ip)) in stanzas
        .iter()
        .zip(["172.16.0.140", "172.16.0.141", "172.16.0.142"])
        .enumerate()
    {
        assert_eq!(st.iface, format!("eth0:{n}"));
        assert_eq!((st.family.as_str(), st.method.as_str()), ("inet", "static"));
        assert_eq!(st.one("address"), ip);
        assert_eq!(st.one("netmask"), "255.255.255.0");
        assert_eq!(st.one("gateway"), "172.16.0.253");
    }

    let files = render(&inst_secondary_eni(), Os::Debian);
    assert_eq!(paths(&files), ["etc/network/interfaces.d/netform-eth1"]);
    let (auto, stanzas) = parse_interfaces(&files[0].contents);
    assert_eq!(
        auto,
        ["eth1", "eth1:0", "eth1:1", "eth1:2"]
            .map(String::from)
            .into()
    );
    let find = |iface: &str, family: &str| -> Vec<&Stanza> {
        stanzas
            .iter()
            .filter(|s| s.iface == iface && s.family == family)
            .collect()
    };
    let eth1 = find("eth1", "inet");
    assert_eq!(eth1.len(), 1);
    let eth1 = eth1[0];
    assert_eq!(eth1.method, "static");
    assert_eq!(eth1.one("address"), "10.1.20.5");
    assert_eq!(eth1.one("netmask"), "255.255.240.0");
    assert!(eth1.get("gateway").is_empty());
    assert_eq!(
        eth1.get("post-up"),
        [
            "ip route replace 10.1.16.0/20 dev eth1 src 10.1.20.5 table 1001",
            "ip route replace default via 10.1.31.253 dev eth1 table 1001",
            "ip rule add from 10.1.20.5 lookup 1001",
            "ip rule add from 10.1.20.6 lookup 1001",
            "ip rule add from 10.1.20.7 lookup 1001",
            "ip rule add from 47.98.10.20 lookup 1001",
        ]
    );
    // Every rule added on the way up is removed on the way down.
    let added: BTreeSet<String> = eth1
        .get("post-up")
        .iter()
        .filter_map(|c| c.strip_prefix("ip rule add "))
        .map(String::from)
        .collect();
    let deleted: BTreeSet<String> = eth1
        .get("pre-down")
        .iter()
        .filter_map(|c| c.strip_prefix("ip rule del "))
        .map(|c| c.trim_end_matches(" || true").to_string())
        .collect();
    assert_eq!(added, deleted);
    for (n, (ip, mask)) in [
        ("10.1.20.6", "255.255.240.0"),
        ("10.1.20.7", "255.255.240.0"),
        ("47.98.10.20", "255.255.255.255"),
    ]
    .iter()
    .enumerate()
    {
        let st = find(&format!("eth1:{n}"), "inet");
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].one("address"), *ip);
        assert_eq!(st[0].one("netmask"), *mask);
        assert!(st[0].get("gateway").is_empty());
    }
    let v6: Vec<(&str, &str)> = find("eth1", "inet6")
        .iter()
        .map(|s| {
            assert_eq!(s.method, "static");
            (s.one("address"), s.one("netmask"))
        })
        .collect();
    assert_eq!(
        v6,
        [
            ("2408:4005:3ff:a100::10", "64"),
            ("2408:4005:3ff:a100::11", "64")
        ]
    );
}

#[test]
fn guest_sles_parses_back() {
    let files = render(&inst_secondary_ips(), Os::Sles);
    assert_eq!(paths(&files), ["etc/sysconfig/network/ifcfg-eth0"]);
    let kv = parse_kv(&files[0].contents);
    assert_eq!(kv["BOOTPROTO"], "dhcp");
    for (n, ip) in ["172.16.0.140", "172.16.0.141", "172.16.0.142"]
        .iter()
        .enumerate()
    {
        assert_eq!(kv[&format!("IPADDR_{n}")], *ip);
        assert_eq!(kv[&format!("NETMASK_{n}")], "24");
        assert_eq!(kv[&format!("LABEL_{n}")], n.to_string());
    }
    assert_eq!(kv.len(), 2 + 3 * 3, "{kv:?}");

    let files = render(&inst_secondary_eni(), Os::Sles);
    let dir = "etc/sysconfig/network";
    assert_eq!(
        paths(&files),
        [
            format!("{dir}/ifcfg-eth1"),
            format!("{dir}/ifroute-eth1"),
            format!("{dir}/ifrule-eth1")
        ]
    );
    let kv = parse_kv(file(&files, &format!("{dir}/ifcfg-eth1")));
    assert_eq!(kv["BOOTPROTO"], "static");
    assert_eq!(kv["IPADDR"], "10.1.20.5/20");
    for (n, (ip, prefix)) in [
        ("10.1.20.6", "20"),
        ("10.1.20.7", "20"),
        ("47.98.10.20", "32"),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(kv[&format!("IPADDR_{n}")], *ip);
        assert_eq!(kv[&format!("NETMASK_{n}")], *prefix);
        assert_eq!(kv[&format!("LABEL_{n}")], n.to_string());
    }
    assert_eq!(kv["IPADDR_3"], "2408:4005:3ff:a100::10");
    assert_eq!(kv["PREFIXLEN_3"], "64");
    assert_eq!(kv["IPADDR_4"], "2408:4005:3ff:a100::11");
    assert_eq!(kv["PREFIXLEN_4"], "64");
    assert!(!kv.contains_key("LABEL_3"));
    // ifroute columns: destination gateway netmask interface options.
    let routes: Vec<Vec<&str>> = file(&files, &format!("{dir}/ifroute-eth1"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        routes,
        [
            vec!["10.1.16.0/20", "-", "-", "eth1", "table", "1001"],
            vec!["default", "10.1.31.253", "-", "eth1", "table", "1001"],
        ]
    );
    let rules: Vec<&str> = file(&files, &format!("{dir}/ifrule-eth1"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        rules,
        [
            "ipv4 from 10.1.20.5 table 1001",
            "ipv4 from 10.1.20.6 table 1001",
            "ipv4 from 10.1.20.7 table 1001",
            "ipv4 from 47.98.10.20 table 1001",
        ]
    );
}

#[test]
fn guest_netplan_and_windows_match_by_mac() {
    let inst = inst_secondary_eni();
    let netplan = &render(&inst, Os::Netplan)[0].contents;
    assert!(netplan.contains("macaddress: \"00:16:3e:0b:00:02\""));
    assert!(netplan.contains("- \"10.1.20.5/20\""));
    assert!(netplan.contains("- \"47.98.10.20/32\""));
    assert!(netplan.contains("- \"2408:4005:3ff:a100::11/64\""));
    assert!(netplan.contains("via: \"10.1.31.253\"\n          table: 1001"));
    assert_eq!(netplan.matches("- from: ").count(), 4);
    assert!(!netplan.contains('\t'), "YAML forbids tabs");
    let ps = &render(&inst, Os::Windows)[0].contents;
    assert!(ps.contains("Get-NetformAdapter '00-16-3E-0B-00-02'"));
    assert!(ps.contains("Where-Object MacAddress -eq $Mac"));
    for a in [
        "10.1.20.6",
        "10.1.20.7",
        "47.98.10.20",
        "2408:4005:3ff:a100::10",
    ] {
        assert_eq!(
            ps.matches(&format!("Add-NetformAddress $adapter '{a}'"))
                .count(),
            1,
            "{a}"
        );
    }
    // The primary ENI of this instance needs nothing, so the script must not touch it.
    assert!(!ps.contains("00-16-3E-0B-00-01"));
}

// ---------------------------------------------------------------------------------------------
// Network-namespace run of the iproute2 script.

/// Deletes the namespace however the test ends.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn ip(args: &[&str]) -> std::process::Output {
    Command::new("ip").args(args).output().expect("run ip")
}

fn ok(args: &[&str]) -> String {
    let out = ip(args);
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Creates a namespace, or says why it cannot (the only reasons the netns test may skip).
fn try_netns(tag: &str) -> Result<Netns, String> {
    let name = format!(
        "netform-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    match Command::new("ip").args(["netns", "add", &name]).output() {
        Err(e) => Err(format!(
            "cannot run `ip` ({e}); CI needs `apt-get install -y iproute2`"
        )),
        Ok(out) if !out.status.success() => Err(format!(
            "`ip netns add` failed (not root / no CAP_SYS_ADMIN?): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => Ok(Netns(name)),
    }
}

/// A link named `dev` in the namespace. Prefers a dummy; some kernels (e.g. minimal VM kernels)
/// lack the dummy driver, and a veth pair behaves the same for addresses, routes and rules.
fn add_link(ns: &str, dev: &str) {
    let dummy = ip(&["-n", ns, "link", "add", dev, "type", "dummy"]);
    if !dummy.status.success() {
        let peer = format!("{dev}p");
        ok(&[
            "-n", ns, "link", "add", dev, "type", "veth", "peer", "name", &peer,
        ]);
        ok(&["-n", ns, "link", "set", &peer, "up"]);
    }
    ok(&["-n", ns, "link", "set", dev, "up"]);
}

/// (device, address, prefix) of every global address on eth* in the namespace.
fn addresses(ns: &str) -> Vec<(String, String, u64)> {
    let json: serde_json::Value = serde_json::from_str(&ok(&["-n", ns, "-j", "addr"])).unwrap();
    let mut out = Vec::new();
    for link in json.as_array().unwrap() {
        let dev = link["ifname"].as_str().unwrap();
        if !(dev == "eth0" || dev == "eth1") {
            continue;
        }
        for a in link["addr_info"].as_array().unwrap() {
            if a["scope"] != "global" {
                continue;
            }
            out.push((
                dev.to_string(),
                a["local"].as_str().unwrap().to_string(),
                a["prefixlen"].as_u64().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// (source, table) of every rule that is not one of the kernel's three defaults.
fn rules(ns: &str) -> Vec<(String, String)> {
    let json: serde_json::Value = serde_json::from_str(&ok(&["-n", ns, "-j", "rule"])).unwrap();
    let mut out: Vec<(String, String)> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !matches!(r["table"].as_str(), Some("local" | "main" | "default")))
        .map(|r| {
            let src = r["src"].as_str().unwrap().to_string();
            let src = match r["srclen"].as_u64() {
                Some(len) if len != 32 => format!("{src}/{len}"),
                _ => src,
            };
            (src, r["table"].to_string().trim_matches('"').to_string())
        })
        .collect();
    out.sort();
    out
}

fn run_script_in_netns(inst: &GuestInstance, tag: &str) -> Option<Netns> {
    let ns = match try_netns(tag) {
        Ok(ns) => ns,
        Err(why) => {
            eprintln!("skipping guest netns test: {why}");
            return None;
        }
    };
    add_link(&ns.0, "eth0");
    add_link(&ns.0, "eth1");
    let files = render(inst, Os::Iproute2);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join(&files[0].path);
    std::fs::write(&script, &files[0].contents).unwrap();
    for run in 1..=2 {
        let out = Command::new("ip")
            .args(["netns", "exec", &ns.0, "sh"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "run {run} of the script failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(ns)
}

#[test]
fn guest_iproute2_script_in_netns_is_idempotent() {
    // Secondary ENI: static primary, aliases, EIP, IPv6, policy routing.
    let Some(ns) = run_script_in_netns(&inst_secondary_eni(), "eni") else {
        return;
    };
    let want: Vec<(String, String, u64)> = [
        ("eth1", "10.1.20.5", 20),
        ("eth1", "10.1.20.6", 20),
        ("eth1", "10.1.20.7", 20),
        ("eth1", "2408:4005:3ff:a100::10", 64),
        ("eth1", "2408:4005:3ff:a100::11", 64),
        ("eth1", "47.98.10.20", 32),
    ]
    .iter()
    .map(|(d, a, p)| (d.to_string(), a.to_string(), *p))
    .collect();
    assert_eq!(addresses(&ns.0), want);
    let want_rules: Vec<(String, String)> = ["10.1.20.5", "10.1.20.6", "10.1.20.7", "47.98.10.20"]
        .iter()
        .map(|s| (s.to_string(), "1001".to_string()))
        .collect();
    assert_eq!(rules(&ns.0), want_rules);
    let table: serde_json::Value =
        serde_json::from_str(&ok(&["-n", &ns.0, "-j", "route", "show", "table", "1001"])).unwrap();
    let routes: Vec<(String, String, String)> = table
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (s("dst"), s("gateway"), s("dev"))
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("default".into(), "10.1.31.253".into(), "eth1".into()),
            ("10.1.16.0/20".into(), String::new(), "eth1".into()),
        ]
    );
    // Labels survive for the IPv4 aliases, so `ifconfig` users see eth1:0 … as in the seed.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["-n", &ns.0, "-j", "addr", "show", "dev", "eth1"])).unwrap();
    let labels: BTreeSet<String> = json[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["label"].as_str().map(String::from))
        .collect();
    assert!(labels.is_superset(&["eth1:0", "eth1:1", "eth1:2"].map(String::from).into()));
    drop(ns);

    // Primary ENI: only the secondaries are added (DHCP owns the primary), no rules.
    let Some(ns) = run_script_in_netns(&inst_secondary_ips(), "ips") else {
        return;
    };
    let want: Vec<(String, String, u64)> = ["172.16.0.140", "172.16.0.141", "172.16.0.142"]
        .iter()
        .map(|a| ("eth0".to_string(), a.to_string(), 24))
        .collect();
    assert_eq!(addresses(&ns.0), want);
    assert_eq!(rules(&ns.0), []);
}
