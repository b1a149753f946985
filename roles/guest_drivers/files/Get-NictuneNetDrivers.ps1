# nictune.fleet guest_drivers: the network drivers of the driver store (in-box and third-party). Read only.
[CmdletBinding()]
param()
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false
Get-WindowsDriver -Online -All |
    Where-Object { $_.ClassName -eq 'Net' } |
    ForEach-Object {
        [PSCustomObject]@{
            OriginalFileName = [string]$_.OriginalFileName
            ProviderName = [string]$_.ProviderName
            ClassName = [string]$_.ClassName
            Version = [string]$_.Version
            Inbox = [bool]$_.Inbox
        }
    }
