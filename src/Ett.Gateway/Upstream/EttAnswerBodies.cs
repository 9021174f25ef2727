using System.Buffers;

namespace Ett.Gateway.Upstream;

/// <summary>
/// ETT answers read whole, each into one pooled array, for what is read from them to point into them (the certificates
/// page writes ETT's attribute bytes out as they came). Disposed once nothing points into them any more: after the
/// response written from them is out. Never disposed (a request that failed), the arrays are left to the collector.
/// </summary>
public sealed class EttAnswerBodies : IDisposable
{
    private const int FirstSize = 16 * 1024;
    private const int MaxFirstSize = 1024 * 1024;
    private readonly List<byte[]> _rented = [];

    /// <summary>
    /// The whole of <paramref name="stream"/>, as fast as it arrives: bounded, as the serializer's read of it is, by the
    /// call's budget that <paramref name="ct"/> carries and by the stream's own limit.
    /// </summary>
    internal async Task<(byte[] Body, int Length)> ReadAsync(Stream stream, long? announced, CancellationToken ct)
    {
        // One more than announced (the read that finds the end needs room to find it), but no more than a first array
        // up front: an announced length is only a claim, and the array grows with what really arrives.
        var body = Rent(announced is >= 0 ? (int)Math.Min(announced.Value + 1, MaxFirstSize) : FirstSize);
        var length = 0;
        while (true)
        {
            if (length == body.Length) body = Grow(body, length);
            var read = await stream.ReadAsync(body.AsMemory(length), ct);
            if (read == 0) return (body, length);
            length += read;
        }
    }

    private byte[] Rent(int size)
    {
        var array = ArrayPool<byte>.Shared.Rent(size);
        _rented.Add(array);
        return array;
    }

    private byte[] Grow(byte[] full, int length)
    {
        var bigger = Rent((int)Math.Min(2L * full.Length, Array.MaxLength));
        full.AsSpan(0, length).CopyTo(bigger);
        _rented.Remove(full);
        ArrayPool<byte>.Shared.Return(full);
        return bigger;
    }

    public void Dispose()
    {
        foreach (var array in _rented) ArrayPool<byte>.Shared.Return(array);
        _rented.Clear();
    }
}
