# nictune.fleet guest_drivers: every network adapter with its IP settings, for capture and restore. Read only.
# Present adapters: NetTCPIP/DnsClient cmdlets. Adapters no longer present (the "ghost" left behind by a NIC
# model change) are not listed by Get-NetAdapter: for each interface GUID in -Ghosts (GUID -> MAC, from the
# capture) that is not present, the TCP/IP registry values it still holds are read instead.
[CmdletBinding()]
param(
    [hashtable]$Ghosts = @{}
)
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false
$tcpip = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces'
$netClass = 'HKLM:\SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}'

function Get-RegistryIp([string]$Guid) {
    $key = Join-Path $tcpip $Guid
    if (-not (Test-Path $key)) { return $null }
    $p = Get-ItemProperty -Path $key
    @{
        EnableDHCP = $p.EnableDHCP
        IPAddress = @($p.IPAddress)
        SubnetMask = @($p.SubnetMask)
        DefaultGateway = @($p.DefaultGateway)
        NameServer = [string]$p.NameServer
        Domain = [string]$p.Domain
    }
}

function Get-Family($IfIndex, [string]$Family) {
    $ipif = Get-NetIPInterface -InterfaceIndex $IfIndex -AddressFamily $Family -ErrorAction SilentlyContinue
    if (-not $ipif) { return @{ dhcp = $true; addresses = @(); gateways = @() } }
    $addresses = @(Get-NetIPAddress -InterfaceIndex $IfIndex -AddressFamily $Family -ErrorAction SilentlyContinue |
        Where-Object { $_.PrefixOrigin -eq 'Manual' } |
        ForEach-Object { @{ ip = [string]$_.IPAddress; prefix = [int]$_.PrefixLength } })
    $default = if ($Family -eq 'IPv4') { '0.0.0.0/0' } else { '::/0' }
    $gateways = @(Get-NetRoute -InterfaceIndex $IfIndex -DestinationPrefix $default -ErrorAction SilentlyContinue |
        Where-Object { $_.Protocol -eq 'NetMgmt' } | ForEach-Object { [string]$_.NextHop })
    @{ dhcp = ($ipif.Dhcp -eq 'Enabled'); addresses = $addresses; gateways = $gateways }
}

$out = @()
$seen = @{}
foreach ($a in Get-NetAdapter -Physical -IncludeHidden -ErrorAction SilentlyContinue) {
    $guid = ([string]$a.InterfaceGuid).ToLowerInvariant()
    $seen[$guid] = $true
    $reg = Get-RegistryIp $a.InterfaceGuid
    $static = if ($reg) { $reg.NameServer } else { '' }
    $entry = @{
        name = [string]$a.Name
        description = [string]$a.InterfaceDescription
        mac = [string]$a.MacAddress
        if_index = [int]$a.ifIndex
        interface_guid = $guid
        pnp_instance_id = [string]$a.PnPDeviceID
        status = [string]$a.Status
        registry = $reg
    }
    if ($a.Status -ne 'Not Present') {
        $entry.ipv4 = Get-Family $a.ifIndex 'IPv4'
        $entry.ipv6 = Get-Family $a.ifIndex 'IPv6'
        $entry.dns_servers = @($static -split '[,\s]+' | Where-Object { $_ }) +
            @((Get-ItemProperty -Path (Join-Path ($tcpip -replace 'Tcpip', 'Tcpip6') $a.InterfaceGuid) -ErrorAction SilentlyContinue).NameServer -split '[,\s]+' | Where-Object { $_ })
        $entry.dns_suffix = [string](Get-DnsClient -InterfaceIndex $a.ifIndex -ErrorAction SilentlyContinue).ConnectionSpecificSuffix
    }
    $out += $entry
}
foreach ($guid in $Ghosts.Keys) {
    $g = ([string]$guid).ToLowerInvariant()
    if ($seen.ContainsKey($g)) { continue }
    $reg = Get-RegistryIp $guid
    if (-not $reg) { continue }
    $name = (Get-ItemProperty -Path (Join-Path $netClass "$guid\Connection") -ErrorAction SilentlyContinue)
    $out += @{
        name = if ($name) { [string]$name.Name } else { '' }
        description = ''
        mac = [string]$Ghosts[$guid]
        if_index = $null
        interface_guid = $g
        pnp_instance_id = if ($name) { [string]$name.PnPInstanceId } else { $null }
        status = 'Not Present'
        registry = $reg
    }
}
, $out
