using System.Net;
using System.Net.Sockets;

namespace Ett.Testing;

/// <summary>
/// A free port on 127.0.0.1 for a process started later (or restarted on the same port). It is chosen below the
/// kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>), so no outgoing connection of any process
/// on the machine can be given it between the choice and the bind; asking the kernel for port 0 would return a port
/// from exactly that range, which is how a test once found its port taken by a client socket.
/// </summary>
public static class LoopbackPort
{
    private const int Lowest = 10_000;
    private const int DefaultEphemeralStart = 32_768;
    private static readonly int EphemeralStart = ReadEphemeralStart();
    private static readonly HashSet<int> Given = [];

    /// <summary>A port no other socket holds now, never given twice in this process.</summary>
    public static int Reserve()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, EphemeralStart);
                if (Given.Contains(port) || !IsFree(port)) continue;
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"No free loopback port between {Lowest} and {EphemeralStart}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int ReadEphemeralStart()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        if (!File.Exists(range)) return DefaultEphemeralStart;
        var first = File.ReadAllText(range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
        return int.TryParse(first, out var start) && start > Lowest + 1_000 ? start : DefaultEphemeralStart;
    }
}
