# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Windows side of nictune.fleet's iperf_probe runner: same plan and output as nictune_iperf_probe.py "run".
# Linted and syntax-checked only (no Windows guest on the project's test machine).
param([string]$Plan, [string]$Dir)
$ErrorActionPreference = 'Stop'
$p = $Plan | ConvertFrom-Json
New-Item -ItemType Directory -Force -Path $Dir | Out-Null
$clients = Join-Path $Dir 'clients.pids'
Set-Content -Path $clients -Value ''
function Now { ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()) / 1000.0 }
$results = @()
foreach ($t in ($p.tests | Sort-Object at)) {
    $delay = $t.at - (Now)
    if ($delay -gt 0) { Start-Sleep -Milliseconds ([int]($delay * 1000)) }
    $attempts = 0
    while ($true) {
        $attempts++
        $out = Join-Path $Dir ($t.id + '.out')
        $err = Join-Path $Dir ($t.id + '.err')
        $started = Now
        $proc = Start-Process -FilePath $p.iperf3 -ArgumentList $t.args -NoNewWindow -PassThru `
            -RedirectStandardOutput $out -RedirectStandardError $err
        Add-Content -Path $clients -Value $proc.Id
        $timedOut = -not $proc.WaitForExit([int]($t.kill_after * 1000))
        if ($timedOut) { Stop-Process -Id $proc.Id -Force -ErrorAction SilentlyContinue }
        $ended = Now
        $stdout = if (Test-Path $out) { Get-Content -Raw $out } else { '' }
        if ((-not $timedOut) -and $stdout -match 'server is busy' -and (Now) -lt $t.busy_until) {
            Start-Sleep -Milliseconds 200
            continue
        }
        $results += [ordered]@{
            id = $t.id; stdout = $stdout; X
            rc = $proc.ExitCode; started = $started; ended = $ended; attempts = $attempts
            timed_out = $timedOut; kill_after = $t.kill_after
        }
        break
    }
}
$Ansible.Result = @{ host = $p.host; tests = $results } | ConvertTo-Json -Depth 5 -Compress
$Ansible.Changed = $false
Write-Output $Ansible.Result
