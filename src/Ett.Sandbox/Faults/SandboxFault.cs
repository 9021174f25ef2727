namespace Ett.Sandbox.Faults;

/// <summary>What the sandbox does to a request a <see cref="SandboxFault"/> matches.</summary>
public enum SandboxFaultKind
{
    /// <summary>Waits <see cref="SandboxFault.Delay"/> on the sandbox's clock, then answers normally.</summary>
    Latency,

    /// <summary>Answers <see cref="SandboxFault.Status"/> (default 503) with an empty body; the request is not applied.</summary>
    Status,

    /// <summary>Resets the connection before doing anything; the request is not applied.</summary>
    Reset,

    /// <summary>Never answers: holds the request until <see cref="SandboxFault.Delay"/> passes on the sandbox's clock (default: until the caller gives up), then resets the connection. Not applied.</summary>
    Hang,

    /// <summary>200 with an HTML page, as a proxy or maintenance page in front of ETT would send; the request is not applied.</summary>
    Html,

    /// <summary>Applies the request, then sends 200 with the first half of the JSON body and resets the connection.</summary>
    Truncated,

    /// <summary>Applies the request (ETT did the work), then resets the connection instead of answering: the caller never hears.</summary>
    ResponseLost,
}

/// <summary>
/// One injected fault: which requests it matches and what happens to them. Set by configuration
/// (<c>Sandbox:Faults:{n}:Kind</c>, <c>…:Path</c>, <c>…:Method</c>, <c>…:Delay</c>, <c>…:Status</c>, <c>…:Times</c>,
/// <c>…:ExpiresAfterRequests</c>) or at run
/// time through <c>POST /sandbox/control/faults</c> with the same properties as JSON.
/// </summary>
public sealed class SandboxFault
{
    /// <summary>What happens to a matched request.</summary>
    public SandboxFaultKind Kind { get; set; }

    /// <summary>Full request path, case-insensitive; <c>*</c> matches any run of characters (<c>/sandbox/ett/wallet-api/*</c>).</summary>
    public string Path { get; set; } = "*";

    /// <summary>HTTP method to match; null or empty matches every method.</summary>
    public string? Method { get; set; }

    /// <summary>For <see cref="SandboxFaultKind.Latency"/> and <see cref="SandboxFaultKind.Hang"/>: how long, on the sandbox's clock.</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>For <see cref="SandboxFaultKind.Status"/>: the status code to answer (default 503).</summary>
    public int? Status { get; set; }

    /// <summary>How many matching requests it applies to; null means every one until it is removed.</summary>
    public int? Times { get; set; }

    /// <summary>
    /// How many requests of the simulated ETT and its token endpoint, matching or not, it stays in force for; null means
    /// until <see cref="Times"/> is used up or it is removed. A fault on a path rarely called so lapses by count, not by clock.
    /// </summary>
    public int? ExpiresAfterRequests { get; set; }
}

/// <summary>A fault that is in force, with the id that removes it and how often it has been applied.</summary>
/// <param name="Id">Id for <c>DELETE /sandbox/control/faults/{id}</c>.</param>
/// <param name="Fault">The fault.</param>
/// <param name="Applied">Requests it has been applied to so far.</param>
public sealed record ActiveSandboxFault(Guid Id, SandboxFault Fault, int Applied);

/// <summary>A request a fault was applied to.</summary>
/// <param name="FaultId">The fault.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Method">HTTP method of the request.</param>
/// <param name="Path">Full request path.</param>
public sealed record AppliedSandboxFault(Guid FaultId, SandboxFaultKind Kind, string Method, string Path);
