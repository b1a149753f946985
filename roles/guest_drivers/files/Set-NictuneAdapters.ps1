# nictune.fleet guest_drivers: apply a restore plan computed by the guest_drivers_netcfg_plan filter.
# Each operation names the adapter now holding the MAC by its interface index. Operations, in order:
# release_ghost, rename, ipv4, ipv6, dns_servers, dns_suffix. Reports changed only when something changed.
[CmdletBinding()]
param(
    [Parameter(Mandatory)][object[]]$Operations
)
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false
$tcpip = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces'
$netClass = 'HKLM:\SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}'
$done = @()

function Set-Family($Op, [string]$Family) {
    $i = [int]$Op.if_index
    $default = if ($Family -eq 'IPv4') { '0.0.0.0/0' } else { '::/0' }
    $want = @($Op.addresses | ForEach-Object { [string]$_.ip })
    Get-NetRoute -InterfaceIndex $i -DestinationPrefix $default -ErrorAction SilentlyContinue |
        Where-Object { $_.Protocol -eq 'NetMgmt' -and @($Op.gateways) -notcontains [string]$_.NextHop } |
        Remove-NetRoute -Confirm:$false
    Get-NetIPAddress -InterfaceIndex $i -AddressFamily $Family -ErrorAction SilentlyContinue |
        Where-Object { $_.PrefixOrigin -eq 'Manual' -and $want -notcontains [string]$_.IPAddress } |
        Remove-NetIPAddress -Confirm:$false
    if ($Op.dhcp) {
        Set-NetIPInterface -InterfaceIndex $i -AddressFamily $Family -Dhcp Enabled
    } elseif ($Family -eq 'IPv4') {
        Set-NetIPInterface -InterfaceIndex $i -AddressFamily $Family -Dhcp Disabled
    }
    foreach ($addr in $Op.addresses) {
        $have = Get-NetIPAddress -InterfaceIndex $i -IPAddress $addr.ip -ErrorAction SilentlyContinue
        if (-not $have) {
            New-NetIPAddress -InterfaceIndex $i -IPAddress $addr.ip -PrefixLength ([int]$addr.prefix) | Out-Null
        }
    }
    foreach ($gw in $Op.gateways) {
        $have = Get-NetRoute -InterfaceIndex $i -DestinationPrefix $default -NextHop $gw -ErrorAction SilentlyContinue
        if (-not $have) { New-NetRoute -InterfaceIndex $i -DestinationPrefix $default -NextHop $gw | Out-Null }
    }
}

foreach ($op in $Operations) {
    switch ($op.op) {
        'release_ghost' {
            $removed = $false
            if ($op.pnp_instance_id) {
                # pnputil /remove-device exists from Windows 10 2004 / Server 2022.
                & pnputil.exe /remove-device "$($op.pnp_instance_id)" | Out-Null
                $removed = ($LASTEXITCODE -eq 0)
            }
            if (-not $removed -and $op.ghost_interface_guid) {
                # Older Windows: free the ghost's address and name in the registry instead.
                $key = Join-Path $tcpip $op.ghost_interface_guid
                if (Test-Path $key) {
                    Set-ItemProperty -Path $key -Name EnableDHCP -Value 1
                    foreach ($v in 'IPAddress', 'SubnetMask', 'DefaultGateway', 'NameServer') {
                        Remove-ItemProperty -Path $key -Name $v -ErrorAction SilentlyContinue
                    }
                }
                $conn = Join-Path $netClass "$($op.ghost_interface_guid)\Connection"
                if ((Test-Path $conn) -and $op.ghost_name) {
                    Set-ItemProperty -Path $conn -Name Name -Value "$($op.ghost_name) (replaced by nictune)"
                }
            }
        }
        'rename' { Get-NetAdapter -InterfaceIndex $op.if_index | Rename-NetAdapter -NewName $op.new_name }
        'ipv4' { Set-Family $op 'IPv4' }
        'ipv6' { Set-Family $op 'IPv6' }
        'dns_servers' {
            if (@($op.servers).Count -eq 0) {
                Set-DnsClientServerAddress -InterfaceIndex $op.if_index -ResetServerAddresses
            } else {
                Set-DnsClientServerAddress -InterfaceIndex $op.if_index -ServerAddresses @($op.servers)
            }
        }
        'dns_suffix' { Set-DnsClient -InterfaceIndex $op.if_index -ConnectionSpecificSuffix $op.suffix }
        default { throw "unknown operation $($op.op)" }
    }
    $done += "$($op.op) $($op.mac)"
    $Ansible.Changed = $true
}
$done
