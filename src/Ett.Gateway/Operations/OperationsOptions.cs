using Microsoft.Extensions.Options;

namespace Ett.Gateway.Operations;

/// <summary>
/// How the gateway runs operations (section <c>Operations</c>, beside the store's own settings such as
/// <c>Operations:IdempotencyRetention</c>).
/// </summary>
internal sealed record OperationsOptions
{
    public const string Section = "Operations";

    /// <summary>
    /// Operations:LeaseDuration: how long an attempt owns its Idempotency-Key without renewing (it renews before each
    /// ETT POST). After a crash, a retry with the same key resumes once this has passed; until then it gets 409.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Operations:WorkerInterval: how often the worker polls pending legs, reconciles and purges old keys; also how long
    /// an operation may stay <c>running</c> after ETT completed it (less while ETT answers "pending"
    /// for legs the worker polls, see <see cref="OperationsWorker.NextFollowUp"/>).
    /// </summary>
    public TimeSpan WorkerInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Operations:ReconcileAfter: how long a leg whose POST went unobserved rests before ETT's lists decide it.</summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Operations:WorkerBatchSize: at most this many legs per kind of work and iteration (bounded polling).</summary>
    public int WorkerBatchSize { get; set; } = 100;

    /// <summary>
    /// Operations:WorkerConcurrency: how many legs one iteration polls or sends at once, so that a batch waits for
    /// ETT's slowest answers in parallel rather than for the sum of all of them (100 polls at 200 ms are 20 s one by one).
    /// </summary>
    public int WorkerConcurrency { get; set; } = 8;

    /// <summary>
    /// Operations:CertificateReadReuse: how long a transfer plans from the certificate read that last completed instead
    /// of reading ETT again (0 reads every time). One organization's transfers then wait for ETT's latency once per POST,
    /// not twice; a transfer such a read cannot cover is decided on a fresh read of the whole list.
    /// </summary>
    public TimeSpan CertificateReadReuse { get; set; } = TimeSpan.FromSeconds(1);
}

internal sealed class OperationsOptionsValidator : IValidateOptions<OperationsOptions>
{
    public ValidateOptionsResult Validate(string? name, OperationsOptions options)
    {
        List<string> failures = [];
        if (options.LeaseDuration < TimeSpan.FromSeconds(5)) failures.Add("Operations:LeaseDuration must be at least 00:00:05.");
        if (options.WorkerInterval <= TimeSpan.Zero) failures.Add("Operations:WorkerInterval must be positive.");
        // ETT processes requests asynchronously: judging an unobserved POST from ETT's lists too early could re-send it.
        if (options.ReconcileAfter < options.LeaseDuration) failures.Add("Operations:ReconcileAfter must be at least Operations:LeaseDuration.");
        if (options.WorkerBatchSize is < 1 or > 1000) failures.Add("Operations:WorkerBatchSize must be between 1 and 1000.");
        if (options.WorkerConcurrency is < 1 or > 64) failures.Add("Operations:WorkerConcurrency must be between 1 and 64.");
        if (options.CertificateReadReuse < TimeSpan.Zero || options.CertificateReadReuse > TimeSpan.FromSeconds(30))
            failures.Add("Operations:CertificateReadReuse must be between 00:00:00 and 00:00:30.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
