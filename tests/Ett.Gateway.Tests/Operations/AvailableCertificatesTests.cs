using System.Net;
using System.Text;
using Ett.Gateway.Operations;
using Ett.Gateway.Upstream;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ett.Gateway.Tests.Operations;

/// <summary>
/// Requests that need a list ETT is already reading join that read: one ETT call, and its start as their read instant.
/// A transfer's first page read a moment ago serves again the same way.
/// </summary>
public sealed class AvailableCertificatesTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Organization = new("5a4d0000-0000-4000-8000-0000000000a1");

    private readonly FakeTimeProvider time = new(Start);
    private readonly HeldWallet wallet = new();

    private AvailableCertificates Certificates(TimeSpan? reuse = null) =>
        new(new EttClient(new OneClient(wallet), Options.Create(new EttResilienceOptions()), time), time,
            Options.Create(new OperationsOptions { CertificateReadReuse = reuse ?? TimeSpan.FromSeconds(1) }));

    [Fact]
    public async Task Requests_arriving_while_a_list_is_read_share_that_read_and_its_start_instant()
    {
        var certificates = Certificates();
        var first = certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        await wallet.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(3));
        var joined = Enumerable.Range(0, 7).Select(_ => certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None)).ToList();
        wallet.Release();

        var reads = await Task.WhenAll([first, .. joined]);

        Assert.Single(wallet.Requests);
        Assert.All(reads, read => Assert.Equal(Start, read.ReadAt));
        // Oldest first.
        Assert.All(reads, read => Assert.Equal(["DK2", "DK1"], read.Certificates.Select(c => c.Certificate.GridArea)));
    }

    [Fact]
    public async Task A_request_after_the_read_finished_reads_again_from_its_own_instant()
    {
        var certificates = Certificates();
        wallet.Release();
        var before = await certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(3));
        var after = await certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);

        Assert.Equal(2, wallet.Requests.Count);
        Assert.Equal([Start, Start.AddSeconds(3)], new[] { before.ReadAt, after.ReadAt });
    }

    [Fact]
    public async Task Another_type_or_period_is_another_read_and_a_grid_area_filters_the_shared_one()
    {
        var certificates = Certificates();
        var production = certificates.ListAsync(Organization, "Production", null, null, "dk2", CancellationToken.None);
        await wallet.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        var consumption = certificates.ListAsync(Organization, "Consumption", null, null, null, CancellationToken.None);
        var period = certificates.ListAsync(Organization, "Production", Start.AddDays(-1), null, null, CancellationToken.None);
        var all = certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        wallet.Release();

        await Task.WhenAll(production, consumption, period, all);

        Assert.Equal(3, wallet.Requests.Count);
        Assert.Contains(wallet.Requests, uri => uri.Contains("type=Consumption"));
        Assert.Contains(wallet.Requests, uri => uri.Contains($"start={Start.AddDays(-1).ToUnixTimeSeconds()}"));
        Assert.Equal(["DK2"], (await production).Certificates.Select(c => c.Certificate.GridArea));
        Assert.Equal(2, (await all).Certificates.Count);
    }

    [Fact]
    public async Task A_caller_giving_up_does_not_fail_the_read_the_others_joined()
    {
        var certificates = Certificates();
        using var hangUp = new CancellationTokenSource();
        var leaving = certificates.ListAsync(Organization, "Production", null, null, null, hangUp.Token);
        await wallet.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        var staying = certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        await hangUp.CancelAsync();
        wallet.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal(2, (await staying).Certificates.Count);
        Assert.Single(wallet.Requests);
    }

    [Fact]
    public async Task A_failed_read_fails_everyone_who_joined_it_and_the_next_request_reads_again()
    {
        var certificates = Certificates();
        wallet.FailNext = true;
        var first = certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        await wallet.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        var joined = certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        wallet.Release();

        await Assert.ThrowsAnyAsync<Exception>(() => first);
        await Assert.ThrowsAnyAsync<Exception>(() => joined);
        var next = await certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        Assert.Equal(2, next.Certificates.Count);
        Assert.Equal(2, wallet.Requests.Count);
    }

    [Fact]
    public async Task The_oldest_certificates_read_a_moment_ago_answer_again_with_that_reads_start_and_without_an_ett_call()
    {
        var certificates = Certificates(reuse: TimeSpan.FromSeconds(1));
        wallet.Release();
        var first = await certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(999));
        var again = await certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None);
        var inGridArea = await certificates.OldestAsync(Organization, "Production", null, null, "DK1", 50, CancellationToken.None);

        Assert.Single(wallet.Requests);
        Assert.False(first.Reused);
        Assert.True(again.Reused);
        Assert.Equal(Start, again.ReadAt);
        Assert.Equal(["DK2", "DK1"], again.Certificates.Select(c => c.Certificate.GridArea));
        Assert.Equal(["DK1"], inGridArea.Certificates.Select(c => c.Certificate.GridArea));
    }

    [Fact]
    public async Task A_read_older_than_the_reuse_window_another_list_or_the_whole_list_is_read_again()
    {
        var certificates = Certificates(reuse: TimeSpan.FromSeconds(1));
        wallet.Release();
        await certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None);
        var whole = await certificates.ListAsync(Organization, "Production", null, null, null, CancellationToken.None);
        var consumption = await certificates.OldestAsync(Organization, "Consumption", null, null, null, 50, CancellationToken.None);
        var fewer = await certificates.OldestAsync(Organization, "Production", null, null, null, 10, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        var later = await certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None);

        Assert.Equal(5, wallet.Requests.Count);
        Assert.All(new[] { whole, consumption, fewer, later }, read => Assert.False(read.Reused));
        Assert.Equal(Start.AddSeconds(1), later.ReadAt);
    }

    [Fact]
    public async Task Without_a_reuse_window_every_request_after_a_read_finished_reads_again()
    {
        var certificates = Certificates(reuse: TimeSpan.Zero);
        wallet.Release();
        await certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None);
        var again = await certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None);

        Assert.Equal(2, wallet.Requests.Count);
        Assert.False(again.Reused);
    }

    [Fact]
    public async Task A_failed_read_is_not_reused()
    {
        var certificates = Certificates(reuse: TimeSpan.FromSeconds(1));
        wallet.FailNext = true;
        wallet.Release();
        await Assert.ThrowsAnyAsync<Exception>(() => certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None));
        var next = await certificates.OldestAsync(Organization, "Production", null, null, null, 50, CancellationToken.None);

        Assert.Equal(2, wallet.Requests.Count);
        Assert.False(next.Reused);
        Assert.Equal(2, next.Certificates.Count);
    }

    [Theory]
    [InlineData("-00:00:00.001", false)]
    [InlineData("00:00:00", true)]
    [InlineData("00:00:30", true)]
    [InlineData("00:00:30.001", false)]
    public void CertificateReadReuse_is_between_0_and_30_seconds(string reuse, bool valid)
    {
        var result = new OperationsOptionsValidator().Validate(null,
            new OperationsOptions { CertificateReadReuse = TimeSpan.Parse(reuse, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Equal(valid, result.Succeeded);
        if (!valid) Assert.Contains("Operations:CertificateReadReuse", result.FailureMessage);
    }

    /// <summary>ETT's certificate list, each answer held until released; any other call fails the test.</summary>
    private sealed class HeldWallet : HttpMessageHandler
    {
        private readonly TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Requests { get; } = [];

        public bool FailNext { get; set; }

        public Task Arrived => arrived.Task;

        public void Release() => released.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!.PathAndQuery;
            Assert.True(request.Method == HttpMethod.Get && uri.StartsWith("/wallet-api/certificates?", StringComparison.Ordinal), $"unexpected call {request.Method} {uri}");
            lock (Requests) Requests.Add(uri);
            arrived.TrySetResult();
            await released.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (FailNext)
            {
                FailNext = false;
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }
            var type = uri.Contains("type=Consumption") ? "Consumption" : "Production";
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""
                    {"result": [{{Certificate(type, "DK2", 2)}}, {{Certificate(type, "DK1", 1)}}], "metadata": {"count": 2, "offset": 0, "limit": 1000, "total": 2} }
                    """, Encoding.UTF8, "application/json"),
            };
        }

        private static string Certificate(string type, string gridArea, int hour) => $$"""
            {"federatedStreamId": {"registry": "Narnia", "streamId": "{{new Guid($"0000000{hour}-0000-4000-8000-000000000000")}}"}, "quantity": 1000,
             "start": {{Start.AddHours(-hour - 1).ToUnixTimeSeconds()}}, "end": {{Start.AddHours(-hour).ToUnixTimeSeconds()}},
             "gridArea": "{{gridArea}}", "certificateType": "{{type}}", "attributes": { } }
            """;
    }

    private sealed class OneClient(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false) { BaseAddress = new Uri("http://ett.test/") };
    }
}
