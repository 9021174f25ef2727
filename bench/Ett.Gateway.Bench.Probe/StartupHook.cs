using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

/// <summary>
/// A bench-only startup hook: with <c>BENCH_PROBE_PORT</c> set, the process answers every connection on that loopback
/// port with its total allocated bytes, so the bench reads the allocation counter of a server without the server
/// exposing an endpoint of its own.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("BENCH_PROBE_PORT"), out var port)) return;
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        new Thread(() =>
        {
            while (true)
            {
                using var client = listener.AcceptTcpClient();
                var answer = Encoding.ASCII.GetBytes(GC.GetTotalAllocatedBytes(precise: true) + "\n");
                client.GetStream().Write(answer, 0, answer.Length);
            }
        }) { IsBackground = true, Name = "bench-probe" }.Start();
    }
}
