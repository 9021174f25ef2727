using Ett.Sandbox;

// The ETT sandbox as its own process: its state lives as long as the process, so it outlives gateway restarts.
// No appsettings file: a project referencing this one (the tests) would get it copied over the gateway's.
var builder = WebApplication.CreateBuilder(args);
if (!SandboxAddress.IsChosen(builder.Configuration)) builder.WebHost.UseUrls(SandboxHostDefaults.Url);

// A fixed issuer: a caller's token validates at a gateway whichever name of this host (localhost, 127.0.0.1) either used.
var self = SandboxAddress.Self(builder.Configuration, SandboxHostDefaults.Url);
builder.Services.AddEttSandbox(sandbox => sandbox.IdpIssuer = self + sandbox.IdpPrefix);
// Swagger UI of a gateway on another origin fetches its development caller token from this host's identity provider.
builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod()));

var app = builder.Build();
app.UseCors();
app.MapEttSandbox();
app.Run();

internal static class SandboxHostDefaults
{
    public const string Url = "http://localhost:5090";
}
