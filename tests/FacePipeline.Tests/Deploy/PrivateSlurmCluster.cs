using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FacePipeline.Tests.TestSupport;

namespace FacePipeline.Tests.Deploy;

/// <summary>
/// A real single-node Slurm cluster (Debian's <c>slurm-wlm</c> and <c>munge</c>) private to one test class: its own
/// munge key and socket, <c>slurm.conf</c>, ports, state, spool and logs in a temporary folder, never <c>/etc</c> or
/// <c>/var</c>. Started on first use; <see cref="Dispose"/> cancels the jobs and stops, by PID, every daemon it started
/// and every process those daemons left behind (found by this cluster's <c>SLURM_CONF</c> in their environment).
/// </summary>
public sealed class PrivateSlurmCluster : IDisposable
{
    /// <summary>The node's name in <c>slurm.conf</c> (slurmd is started with <c>-N</c>, so the host name does not matter).</summary>
    public const string NodeName = "facepipeline-node";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly TempFolder temp = new();
    private readonly List<Process> daemons = [];
    private readonly object gate = new();
    private bool started;

    /// <summary>Null where the cluster can run here; otherwise why not (the tests using it are skipped with it).</summary>
    public static string? SkipReason { get; } = Probe();

    /// <summary>The cluster's configuration file; clients find it through <c>SLURM_CONF</c>.</summary>
    public string Conf => temp.Combine("slurm.conf");

    /// <summary>A scratch folder beside the cluster's own files, deleted with it.</summary>
    public TempFolder Temp => temp;

    /// <summary>Starts munged, slurmctld and slurmd (once) and waits until the node is idle.</summary>
    public void EnsureStarted()
    {
        lock (gate)
        {
            if (started)
            {
                return;
            }

            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException(SkipReason);
            }

            started = true;
            foreach (string folder in new[] { "run", "state", "spool", "log" })
            {
                Directory.CreateDirectory(temp.Combine(folder));
            }

            // munged refuses a socket folder that others cannot traverse, and a key others can read.
            File.SetUnixFileMode(temp.Combine("run"), (UnixFileMode)Convert.ToInt32("755", 8));
            File.WriteAllBytes(temp.Combine("munge.key"), RandomNumberGenerator.GetBytes(1024));
            File.SetUnixFileMode(temp.Combine("munge.key"), UnixFileMode.UserRead);
            File.WriteAllText(Conf, Configuration());

            Launch("munged", "-F", $"--socket={MungeSocket}", $"--key-file={temp.Combine("munge.key")}", $"--pid-file={temp.Combine("run", "munged.pid")}", $"--log-file={temp.Combine("log", "munged.log")}", $"--seed-file={temp.Combine("run", "munged.seed")}");
            WaitFor(() => File.Exists(MungeSocket), "munged's socket");
            Launch("slurmctld", "-D", "-f", Conf);
            Launch("slurmd", "-D", "-f", Conf, "-N", NodeName);
            WaitFor(() => Client("sinfo", "-h", "-n", NodeName, "-o", "%T").Output.Trim() == "idle", "the node to be idle");
        }
    }

    /// <summary>The variables a client (sbatch, squeue, scontrol, pipeline.sh) needs to reach this cluster.</summary>
    public Dictionary<string, string> ClientEnvironment() => new() { ["SLURM_CONF"] = Conf };

    /// <summary>Runs a Slurm client program against this cluster.</summary>
    public (int Code, string Output) Client(string program, params string[] args) => ProcessRun.Run(Find(program)!, args, ClientEnvironment(), null);

    /// <summary>
    /// Waits until none of <paramref name="jobIds"/> is pending or running, then returns the state of each job and of
    /// each array task (<c>1000</c>, <c>1001_2</c>), with the reason Slurm gives.
    /// </summary>
    public Dictionary<string, (string State, string Reason)> WaitForJobs(TimeSpan timeout, params string[] jobIds)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Dictionary<string, (string State, string Reason)> states = JobStates(jobIds);
            if (states.Values.All(s => s.State is not ("PENDING" or "RUNNING" or "CONFIGURING" or "COMPLETING")))
            {
                return states;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"jobs still running after {timeout}: {string.Join(", ", states.Select(s => $"{s.Key} {s.Value.State}"))}; logs in {temp.Combine("log")}");
            }

            Thread.Sleep(1000);
        }
    }

    /// <summary>Cancels every job, then stops every process this cluster started, by PID; deletes the folder.</summary>
    public void Dispose()
    {
        try
        {
            if (started && daemons.Count == 3 && !daemons.Any(d => d.HasExited))
            {
                Client("scancel", "--full", "--user=root");
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < TimeSpan.FromSeconds(15) && Client("squeue", "-h").Output.Trim().Length > 0)
                {
                    Thread.Sleep(500);
                }
            }
        }
        finally
        {
            // slurmd first (no new steps), then the controller, then munged; then anything started under this cluster.
            foreach (Process daemon in Enumerable.Reverse(daemons))
            {
                Stop(daemon);
            }

            foreach (int pid in ProcessesOfThisCluster())
            {
                StopPid(pid);
            }

            temp.Dispose();
        }
    }

    private string MungeSocket => temp.Combine("run", "munge.socket");

    private string Configuration()
    {
        string host = Dns.GetHostName().Split('.')[0];
        long memoryMb = Math.Max(1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024) / 2);
        // linuxproc/none/none: no cgroups or accounting database, which a container or CI runner rarely offers; memory is
        // then a scheduling request, not enforced. MinJobAge keeps finished jobs visible to scontrol for the asserts.
        return string.Join('\n', [
            "ClusterName=facepipeline-test",
            $"SlurmctldHost={host}(127.0.0.1)",
            "SlurmUser=root",
            "SlurmdUser=root",
            $"SlurmctldPort={FreePort()}",
            $"SlurmdPort={FreePort()}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            $"AuthInfo=socket={MungeSocket}",
            $"StateSaveLocation={temp.Combine("state")}",
            $"SlurmdSpoolDir={temp.Combine("spool")}",
            $"SlurmctldPidFile={temp.Combine("run", "slurmctld.pid")}",
            $"SlurmdPidFile={temp.Combine("run", "slurmd.pid")}",
            $"SlurmctldLogFile={temp.Combine("log", "slurmctld.log")}",
            $"SlurmdLogFile={temp.Combine("log", "slurmd.log")}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "MpiDefault=none",
            "SwitchType=switch/none",
            "ReturnToService=2",
            "MinJobAge=600",
            "SlurmdParameters=config_overrides",
            string.Create(CultureInfo.InvariantCulture, $"NodeName={NodeName} NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} RealMemory={memoryMb} State=UNKNOWN"),
            $"PartitionName=test Nodes={NodeName} Default=YES MaxTime=INFINITE State=UP",
            string.Empty,
        ]);
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "Slurm and munge run on Linux";
        }

        string[] missing = new[] { "munged", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "sinfo", "scancel" }.Where(p => Find(p) is null).ToArray();
        if (missing.Length > 0)
        {
            return $"{string.Join(", ", missing)} not installed (Debian: apt-get install slurm-wlm munge; .ci/run does this as root)";
        }

        // slurmd must run jobs as the submitting user and slurmctld/slurmd as SlurmUser: one user, root, keeps the
        // private cluster free of /etc edits and setuid helpers.
        return Environment.IsPrivilegedProcess ? null : "a private Slurm cluster needs root here (slurmd starts jobs as the submitting user)";
    }

    private static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin"])
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Launch(string program, params string[] args)
    {
        var start = new ProcessStartInfo(Find(program)!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The marker that finds what the daemons leave behind (slurmstepd and the jobs inherit slurmd's environment).
        start.Environment["SLURM_CONF"] = Conf;
        var process = new Process { StartInfo = start };
        string log = temp.Combine("log", program + ".out");
        process.OutputDataReceived += (_, e) => AppendLine(log, e.Data);
        process.ErrorDataReceived += (_, e) => AppendLine(log, e.Data);
        process.Start();
        daemons.Add(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private static void AppendLine(string log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                File.AppendAllText(log, line + "\n");
            }
        }
    }

    private void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (daemons.FirstOrDefault(d => d.HasExited) is Process dead)
            {
                throw new InvalidOperationException($"{dead.StartInfo.FileName} exited ({dead.ExitCode}) while waiting for {what}: {Logs()}");
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"no {what} after {StartTimeout}: {Logs()}");
            }

            Thread.Sleep(250);
        }
    }

    private string Logs() => string.Join("\n", Directory.GetFiles(temp.Combine("log")).Select(f => $"--- {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(15))}"));

    /// <summary>
    /// <c>scontrol show job</c> of <paramref name="jobId"/> as one field map per job or array task, keyed like
    /// <c>1000</c> or <c>1000_2</c>.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Job(string jobId)
    {
        (int code, string output) = Client("scontrol", "-o", "show", "job", jobId);
        if (code != 0)
        {
            throw new InvalidOperationException($"scontrol show job {jobId}: {output}");
        }

        var jobs = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Dictionary<string, string> fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(f => f.Split('=', 2))
                .Where(f => f.Length == 2)
                .GroupBy(f => f[0], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
            jobs[fields.TryGetValue("ArrayTaskId", out string? task) ? $"{fields["ArrayJobId"]}_{task}" : fields["JobId"]] = fields;
        }

        return jobs;
    }

    private Dictionary<string, (string State, string Reason)> JobStates(string[] jobIds) =>
        jobIds.SelectMany(id => Job(id)).ToDictionary(j => j.Key, j => (j.Value["JobState"], j.Value["Reason"]), StringComparer.Ordinal);

    private static void Stop(Process daemon)
    {
        if (!daemon.HasExited)
        {
            StopPid(daemon.Id);
            daemon.WaitForExit(10_000);
        }

        daemon.Dispose();
    }

    private static void StopPid(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            ProcessRun.Run("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)], null, null);
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
            }
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
            // Already gone.
        }
    }

    private IEnumerable<int> ProcessesOfThisCluster()
    {
        string marker = "SLURM_CONF=" + Conf + "\0";
        foreach (string folder in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            string environment;
            try
            {
                environment = File.ReadAllText(Path.Combine(folder, "environ"));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (environment.Contains(marker, StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }
}
