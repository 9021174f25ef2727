namespace Ett.Gateway.OpenApi;

public static class OpenApiExtensions
{
    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1");
        return services;
    }

    public static IEndpointRouteBuilder MapGatewayOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapGet("/swagger", () => Results.Redirect("/swagger/index.html")).ExcludeFromDescription().AllowAnonymous();
        ((IApplicationBuilder)app).UseSwaggerUI(options =>
        {
            options.RoutePrefix = "swagger";
            options.SwaggerEndpoint("/openapi/v1.json", "Ett.Gateway v1");
        });
        return app;
    }
}
