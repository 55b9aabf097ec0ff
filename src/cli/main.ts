console.log("tracevisor");
