//! Windows: a PowerShell script doing what the seed's "advanced TCP/IP settings" steps do, adapter
//! by adapter, matched by MAC (Windows prints it uppercase with dashes). Re-running it is safe:
//! each address and route is added only if `Get-NetIPAddress` / `Get-NetRoute` do not show it.
//!
//! No policy routing: Windows uses the strong host model, so traffic from an address already
//! leaves through the adapter that owns it, provided that adapter has a default route. A secondary
//! ENI therefore gets its own default route with a high metric, which keeps eth0 preferred for
//! traffic that is not bound to an address of the secondary ENI.

use std::fmt::Write as _;

use super::{GuestFile, NicPlan, POLICY_TABLE_BASE};

const PRELUDE: &str = r#"#Requires -RunAsAdministrator
$ErrorActionPreference = 'Stop'

function Get-NetformAdapter([string]$Mac) {
    $adapter = Get-NetAdapter | Where-Object MacAddress -eq $Mac
    if (-not $adapter) { throw "netform: no network adapter with MAC $Mac" }
    return $adapter
}

# Static addresses cannot be added while DHCP is on (New-NetIPAddress refuses), which is why the
# seed switches the adapter to "Use the following IP address". Keep the DNS servers DHCP gave.
function Set-NetformStatic($Adapter, [string]$Address, [int]$PrefixLength, [string]$Gateway) {
    $ifIndex = $Adapter.ifIndex
    $ipif = Get-NetIPInterface -InterfaceIndex $ifIndex -AddressFamily IPv4
    if ($ipif.Dhcp -eq 'Enabled') {
        $dns = (Get-DnsClientServerAddress -InterfaceIndex $ifIndex -AddressFamily IPv4).ServerAddresses
        Set-NetIPInterface -InterfaceIndex $ifIndex -AddressFamily IPv4 -Dhcp Disabled
        if ($dns) { Set-DnsClientServerAddress -InterfaceIndex $ifIndex -ServerAddresses $dns }
    }
    Add-NetformAddress $Adapter $Address $PrefixLength $false
    if ($Gateway -and -not (Get-NetRoute -InterfaceIndex $ifIndex -DestinationPrefix '0.0.0.0/0' -NextHop $Gateway -ErrorAction SilentlyContinue)) {
        New-NetRoute -InterfaceIndex $ifIndex -DestinationPrefix '0.0.0.0/0' -NextHop $Gateway | Out-Null
    }
}

# SkipAsSource for the extra addresses: otherwise Windows may pick one of them as the source of
# outgoing traffic, and only the primary address is mapped to the instance's public IP.
function Add-NetformAddress($Adapter, [string]$Address, [int]$PrefixLength, [bool]$SkipAsSource) {
    if (Get-NetIPAddress -InterfaceIndex $Adapter.ifIndex -IPAddress $Address -ErrorAction SilentlyContinue) {
        Write-Host "netform: $Address already on $($Adapter.Name)"
        return
    }
    New-NetIPAddress -InterfaceIndex $Adapter.ifIndex -IPAddress $Address -PrefixLength $PrefixLength -SkipAsSource $SkipAsSource | Out-Null
    Write-Host "netform: added $Address/$PrefixLength to $($Adapter.Name)"
}
"#;

pub(crate) fn render(header: &str, nics: &[NicPlan<'_>]) -> Vec<GuestFile> {
    let mut s = String::from(header);
    s.push_str(PRELUDE);
    for nic in nics {
        let _ = write!(
            s,
            "\n# {}: {} (device index {})\n$adapter = Get-NetformAdapter '{}'\n",
            nic.dev,
            nic.eni.eni_id,
            nic.eni.device_index,
            nic.mac_windows()
        );
        if !nic.aliases.is_empty() || nic.static_primary {
            // The primary ENI's gateway is the seed's "default gateway"; a secondary ENI's is its
            // own default route, added with a high metric below.
            let gw = if nic.is_primary_eni() {
                nic.gateway.to_string()
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "Set-NetformStatic $adapter '{}' {} '{}'",
                nic.eni.primary_ip, nic.prefix, gw
            );
        }
        for alias in &nic.aliases {
            let _ = writeln!(
                s,
                "Add-NetformAddress $adapter '{}' {} $true",
                alias.addr, alias.prefix
            );
        }
        for (addr, prefix) in &nic.ipv6 {
            let _ = writeln!(s, "Add-NetformAddress $adapter '{addr}' {prefix} $true");
        }
        if nic.policy.is_some() {
            let metric = POLICY_TABLE_BASE + nic.eni.device_index;
            let _ = write!(
                s,
                "if (-not (Get-NetRoute -InterfaceIndex $adapter.ifIndex -DestinationPrefix '0.0.0.0/0' -NextHop '{gw}' -ErrorAction SilentlyContinue)) {{\n    New-NetRoute -InterfaceIndex $adapter.ifIndex -DestinationPrefix '0.0.0.0/0' -NextHop '{gw}' -RouteMetric {metric} | Out-Null\n}}\n",
                gw = nic.gateway
            );
        }
    }
    vec![GuestFile {
        path: "netform-guest.ps1".to_string(),
        contents: s,
    }]
}
